/**
 * How each route of the API for apps describes itself in the OpenAPI document (src/http/openapi.ts):
 * the module that serves a route exports its `ApiDoc`, written with these helpers, so the
 * description sits next to the code. The SMART token, the X-FHIR-Server header and the refusals
 * every call may get are added here once.
 */
import { z } from 'zod';
import { FHIR_SERVER_HEADER } from '../auth/smart-token.js';

export type Schema = Record<string, unknown>;
export type Operation = Record<string, unknown>;

export interface ApiDoc {
  paths: Record<string, Partial<Record<'get' | 'post' | 'delete', Operation>>>;
  schemas: Record<string, Schema>;
}

export const FHIR_JSON = 'application/fhir+json';

export const schemaRef = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** A zod schema as the JSON Schema of what a client sends (defaults optional), without its $schema line. */
export function requestSchema(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return rest;
}

/** The same for an answer Cairn sends. */
export function responseSchema(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Schema;
  return rest;
}

export function jsonResponse(description: string, schema: Schema, headers?: Record<string, Schema>): Schema {
  return { description, content: { 'application/json': { schema } }, ...(headers && { headers }) };
}

export function outcomeResponse(description: string, headers?: Record<string, Schema>): Schema {
  return { description, content: { [FHIR_JSON]: { schema: schemaRef('OperationOutcome') } }, ...(headers && { headers }) };
}

export const retryAfterHeader = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } };
const wwwAuthenticate = {
  'WWW-Authenticate': { description: 'RFC 6750 §3: `Bearer`, with `error="invalid_token"`, or `error="insufficient_scope"` and the `scope` needed.', schema: { type: 'string' } },
};

export const queryParameter = (name: string, description: string, schema: Schema) => ({ name, in: 'query', required: false, description, schema });
export const pathParameter = (name: string, description: string, schema: Schema = { type: 'string' }) => ({ name, in: 'path', required: true, description, schema });

export const FHIR_SERVER_PARAMETER = {
  name: FHIR_SERVER_HEADER,
  in: 'header',
  required: false,
  description: 'Base URL of the FHIR server the SMART access token was issued for (the `iss` of the launch). May be left out when CAIRN_SMART_FHIR_SERVERS names exactly one.',
  schema: { type: 'string', format: 'uri' },
};

/**
 * One operation of the API for apps: its own summary, parameters and responses, with the SMART
 * token, the X-FHIR-Server header and the common refusals (400, 401, 403, 503) added.
 */
export function apiOperation(op: { summary: string; description?: string; parameters?: unknown[]; requestBody?: Schema; responses: Record<string, Schema> }): Operation {
  return {
    tags: ['API for apps'],
    summary: op.summary,
    ...(op.description && { description: op.description }),
    security: [{ smartToken: [] }],
    parameters: [{ $ref: '#/components/parameters/FhirServer' }, ...(op.parameters ?? [])],
    ...(op.requestBody && { requestBody: op.requestBody }),
    responses: {
      '400': outcomeResponse(`Malformed request, or no FHIR server named (${FHIR_SERVER_HEADER}) while several are configured.`),
      '401': outcomeResponse('No SMART access token, or one the EHR says is not active.', wwwAuthenticate),
      '403': outcomeResponse("The token's FHIR server is not in CAIRN_SMART_FHIR_SERVERS, or its scopes do not allow this call.", wwwAuthenticate),
      '503': outcomeResponse("The EHR's discovery or introspection endpoint did not answer, or Cairn is still starting.", retryAfterHeader),
      ...op.responses,
    },
  };
}
