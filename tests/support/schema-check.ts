/**
 * Checks a JSON answer against a schema of the OpenAPI document (its `$ref`s resolved in the same
 * document), for the parts of JSON Schema the document uses: type, const, enum, required,
 * properties, items, anyOf / oneOf (one alternative must fit) and allOf. Enough to catch an answer
 * that lost a documented field or changed its type; returns the problems with their JSON paths.
 */
type Schema = Record<string, unknown>;

export function schemaProblems(doc: { components: { schemas: Record<string, Schema> } }, schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) return [`${path}: unknown $ref ${schema.$ref}`];
    return schemaProblems(doc, target, value, path);
  }
  const problems: string[] = [];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alternatives = schema[key] as Schema[] | undefined;
    if (alternatives && !alternatives.some((s) => schemaProblems(doc, s, value, path).length === 0)) {
      problems.push(`${path}: fits none of ${key} (${alternatives.map((s) => schemaProblems(doc, s, value, path)[0]).join(' | ')})`);
    }
  }
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) problems.push(...schemaProblems(doc, s, value, path));
  if ('const' in schema && value !== schema.const) problems.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  const type = schema.type as string | undefined;
  if (type) {
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const fits = type === actual || (type === 'integer' && typeof value === 'number' && Number.isInteger(value));
    if (!fits) return [...problems, `${path}: ${actual} where ${type} is documented`];
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) problems.push(`${path}.${key}: documented as required, missing`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, sub] of Object.entries(properties)) if (key in object) problems.push(...schemaProblems(doc, sub, object[key], `${path}.${key}`));
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...schemaProblems(doc, schema.items as Schema, item, `${path}[${i}]`)));
  return problems;
}
