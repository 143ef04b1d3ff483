import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FHIR_BASE_PROBLEMS, normaliseFhirBase } from '../../fhir/server-allowlist.js';

/**
 * The allowlist of CDS clients (EHRs) Cairn accepts JWTs from. Each issuer names where its keys
 * are: a JWKS URL we fetch and cache, keys inline (exchanged out of band, as the CDS Hooks spec
 * allows), or both (inline keys pinned beside the URL; see verify-jwt.ts for which key is used),
 * and the FHIR servers its hook requests may name.
 */

/** A FHIR base URL or origin, stored normalised (see src/fhir/server-allowlist.ts). */
const fhirServerEntrySchema = z.string().transform((value, ctx) => {
  const normalised = normaliseFhirBase(value);
  if (normalised.ok) return normalised.base;
  ctx.addIssue({ code: 'custom', message: `a fhirServers entry ${FHIR_BASE_PROBLEMS[normalised.problem]}` });
  return z.NEVER;
});

const jwkSchema = z.looseObject({ kty: z.string() });
const issuerSchema = z
  .object({
    iss: z.string().min(1),
    jwksUrl: z.url().optional(),
    jwks: z.object({ keys: z.array(jwkSchema).min(1) }).optional(),
    /** Extra accepted `aud` values: an exact URL, or a base URL to which the called path is appended (Epic sets `aud` by hand). */
    audAliases: z.array(z.string().min(1)).default([]),
    /** When given, the JWT `tenant` claim must be one of these (CDS Hooks best practice: tenant allowlist). */
    tenants: z.array(z.string().min(1)).optional(),
    /**
     * The FHIR servers this issuer's hook requests may name as `fhirServer`: base URLs (a
     * `fhirServer` equal to one or below it) or origins (any path). Anything else is never
     * fetched. Absent or empty: nothing is fetched for this issuer, only its prefetch is used.
     */
    fhirServers: z.array(fhirServerEntrySchema).default([]),
  })
  .refine((i) => i.jwksUrl !== undefined || i.jwks !== undefined, {
    message: 'each issuer needs jwksUrl, jwks, or both',
  })
  // Beside a jwksUrl, the token's `kid` decides between a pinned key and the fetched ones: a
  // pinned key without a kid could never be chosen for a token that names one.
  .refine((i) => i.jwksUrl === undefined || (i.jwks?.keys ?? []).every((k) => typeof k.kid === 'string' && k.kid.length > 0), {
    message: 'keys pinned in jwks beside a jwksUrl each need a kid',
    path: ['jwks'],
  });

export type TrustedIssuer = z.infer<typeof issuerSchema>;

const fileSchema = z.array(issuerSchema).min(1, 'the trusted issuers list is empty');

export function parseTrustedIssuers(json: unknown, source = 'trusted issuers'): TrustedIssuer[] {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ');
    throw new Error(`${source}: ${problems}`);
  }
  const seen = new Set<string>();
  for (const issuer of parsed.data) {
    if (seen.has(issuer.iss)) throw new Error(`${source}: issuer ${issuer.iss} is listed twice`);
    seen.add(issuer.iss);
  }
  return parsed.data;
}

export async function loadTrustedIssuers(path: string): Promise<TrustedIssuer[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`CAIRN_TRUSTED_ISSUERS: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`CAIRN_TRUSTED_ISSUERS: ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseTrustedIssuers(json, path);
}
