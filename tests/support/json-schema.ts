/**
 * A JSON Schema (draft-07) checker for the keywords the Compose specification's schema uses
 * (tests/fixtures/compose-spec): type (one or several), enum, pattern, minimum, maximum,
 * properties, patternProperties, additionalProperties, required, items, uniqueItems, oneOf and
 * `$ref` into `#/definitions/…`. A schema with any other validation keyword is refused rather than
 * half checked, so a newer schema cannot pass a file by using what this does not know.
 * Returns the problems, each with its JSON path; none: the value is valid.
 */
export type JsonSchema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'deprecated', 'definitions', 'examples', '$comment']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'items',
  'uniqueItems',
  'oneOf',
  '$ref',
]);

export function schemaProblems(root: JsonSchema, value: unknown): string[] {
  return check(root, root, value, '$');
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function fitsType(v: unknown, type: string): boolean {
  const actual = typeOf(v);
  return actual === type || (type === 'number' && actual === 'integer');
}

function resolve(root: JsonSchema, ref: string): JsonSchema {
  const m = /^#\/definitions\/([^/]+)$/.exec(ref);
  const target = m && typeof root === 'object' ? (root.definitions as Record<string, JsonSchema> | undefined)?.[m[1] as string] : undefined;
  if (target === undefined) throw new Error(`unsupported or unknown $ref ${ref}`);
  return target;
}

function check(root: JsonSchema, schema: JsonSchema, value: unknown, path: string): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed here`];
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new Error(`schema at ${path} uses keywords this checker does not implement: ${unknown.join(', ')}`);
  if (typeof schema.$ref === 'string') return check(root, resolve(root, schema.$ref), value, path);

  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => fitsType(value, t))) return [`${path}: ${typeOf(value)} where ${types.join(' or ')} is expected`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    problems.push(`${path}: "${value}" does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (Array.isArray(schema.oneOf)) {
    const fitting = (schema.oneOf as JsonSchema[]).map((s) => check(root, s, value, path));
    const n = fitting.filter((p) => p.length === 0).length;
    if (n !== 1) problems.push(`${path}: fits ${n} of the oneOf alternatives, not exactly 1${n === 0 ? ` (${fitting.map((p) => p[0]).join(' | ')})` : ''}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) problems.push(`${path}.${key}: required, missing`);
    const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
    const patterns = Object.entries((schema.patternProperties as Record<string, JsonSchema> | undefined) ?? {}).map(([p, s]) => [new RegExp(p, 'u'), s] as const);
    for (const [key, v] of Object.entries(object)) {
      let matched = false;
      if (key in properties) {
        matched = true;
        problems.push(...check(root, properties[key] as JsonSchema, v, `${path}.${key}`));
      }
      for (const [re, s] of patterns) {
        if (re.test(key)) {
          matched = true;
          problems.push(...check(root, s, v, `${path}.${key}`));
        }
      }
      if (!matched && schema.additionalProperties !== undefined) problems.push(...check(root, schema.additionalProperties as JsonSchema, v, `${path}.${key}`));
    }
  }
  if (Array.isArray(value)) {
    if (schema.items !== undefined) {
      if (Array.isArray(schema.items)) throw new Error(`schema at ${path}: tuple items are not implemented`);
      value.forEach((item, i) => problems.push(...check(root, schema.items as JsonSchema, item, `${path}[${i}]`)));
    }
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) problems.push(`${path}: items are not unique`);
  }
  return problems;
}
