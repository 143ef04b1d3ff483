import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The `.json` files named by `paths`: files as given, directories searched recursively, sorted. */
export async function listBundleFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const found = await readdir(path, { recursive: true, withFileTypes: true });
      const json = found.filter((d) => d.isFile() && d.name.endsWith('.json')).map((d) => join(d.parentPath, d.name));
      files.push(...json.sort());
    } else {
      files.push(path);
    }
  }
  return files;
}

export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`Cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
