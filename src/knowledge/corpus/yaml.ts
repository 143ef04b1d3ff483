/** YAML for front matter and sidecars, with errors that name the file and the line. */
import YAML, { YAMLParseError } from 'yaml';
import { CorpusError } from './errors.js';

/**
 * @param firstLine the file line the YAML text starts on, so a reported line is the file's own.
 */
export function parseYaml(text: string, file: string, what: string, firstLine = 1): unknown {
  try {
    // Unique keys, YAML 1.2 core schema: dates and codes stay strings unless plainly numbers.
    return YAML.parse(text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0]?.line;
      const reason = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
      const hint = /nested mappings|implicit map keys/i.test(reason) ? ' (put quotes around a value that contains ": ")' : '';
      throw new CorpusError(file, `${what} is not valid YAML${line ? ` (line ${line + firstLine - 1})` : ''}: ${reason}${hint}`, { cause: err });
    }
    throw err;
  }
}
