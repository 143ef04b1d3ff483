import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CdsService, ServiceLogic } from './service.js';
import { serviceDefinitionSchema } from './schema.js';

/**
 * Services are declared as data (the AHRQ CDS Connect pattern): one JSON file per service in
 * `cds-hooks/`, holding the discovery entry plus Cairn's own `requiredPrefetch` list, which is
 * not part of discovery. Discovery is generated from these files; the logic is bound by id.
 */
const fileSchema = z.object({
  ...serviceDefinitionSchema.shape,
  requiredPrefetch: z.array(z.string().min(1)).default([]),
});

export interface DeclaredService {
  file: string;
  definition: z.infer<typeof serviceDefinitionSchema>;
  requiredPrefetch: string[];
}

export async function loadServiceDefinitions(dir: string): Promise<DeclaredService[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const declared: DeclaredService[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(`${file}: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    }
    const { requiredPrefetch, ...definition } = parsed.data;
    const unknownKeys = requiredPrefetch.filter((k) => !(k in (definition.prefetch ?? {})));
    if (unknownKeys.length > 0) throw new Error(`${file}: requiredPrefetch names keys with no template: ${unknownKeys.join(', ')}`);
    declared.push({ file, definition, requiredPrefetch });
  }
  return declared;
}

/** Binds each declared service to its logic; a declaration without logic, or a duplicate id, stops start-up. */
export function bindServices(declared: DeclaredService[], logic: Readonly<Record<string, ServiceLogic>>): CdsService[] {
  const ids = new Set<string>();
  return declared.map(({ file, definition, requiredPrefetch }) => {
    if (ids.has(definition.id)) throw new Error(`${file}: service id ${definition.id} is declared twice`);
    ids.add(definition.id);
    const run = logic[definition.id];
    if (!run) throw new Error(`${file}: no logic is registered for service ${definition.id}`);
    return { definition, requiredPrefetch, run };
  });
}
