/** Checking and applying the extension settings of `queryWithSettings` (see `ExtensionSettings`). */
import type { ExtensionSettings } from './database.js';

export function checkedSettings(settings: ExtensionSettings): Array<[string, string]> {
  const entries = Object.entries(settings);
  for (const [name, value] of entries) {
    if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(name)) {
      throw new Error(`queryWithSettings takes extension settings (a name with a dot, like hnsw.ef_search), not ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string') throw new TypeError(`setting ${name} must be a string (got ${typeof value})`);
  }
  return entries;
}

/** One round trip setting them all: set_config(name, value, local). */
export function setConfigStatement(entries: ReadonlyArray<[string, string]>, local: boolean): { sql: string; params: string[] } {
  const params = entries.flat();
  const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, ${local})`);
  return { sql: `SELECT ${calls.join(', ')}`, params };
}
