/**
 * Validates an OpenAPI document with @apidevtools/swagger-parser in a child Node process: the
 * package is CommonJS that requires an ES module, which plain Node 20.19+ allows but Jest's module
 * runtime does not. Resolves with undefined when valid, else the parser's message.
 */
import { execFile } from 'node:child_process';
import { REPO_ROOT } from './repo-root.js';

const SCRIPT = `
const SwaggerParser = require('@apidevtools/swagger-parser');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  SwaggerParser.validate(JSON.parse(input)).then(
    () => process.stdout.write('valid'),
    (err) => process.stdout.write('invalid: ' + err.message),
  );
});
`;

export function validateOpenApi(doc: unknown): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', SCRIPT], { cwd: REPO_ROOT, timeout: 30_000 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(stdout === 'valid' ? undefined : stdout);
    });
    child.stdin?.end(JSON.stringify(doc));
  });
}
