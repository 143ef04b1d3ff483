import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** A CDS client (an EHR) as tests play it: key pairs, a JWKS to publish, and a signer. */
export interface TestClient {
  iss: string;
  jwks: { keys: JWK[] };
  sign(opts: {
    aud: string | string[];
    alg?: 'ES384' | 'RS384';
    expiresInS?: number;
    iatOffsetS?: number;
    jti?: string;
    omit?: Array<'exp' | 'iat' | 'jti'>;
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
  }): Promise<string>;
}

export async function createTestClient(iss = 'https://ehr.example.org'): Promise<TestClient> {
  const es = await generateKeyPair('ES384', { extractable: true });
  const rs = await generateKeyPair('RS384', { extractable: true, modulusLength: 2048 });
  // Distinct kids per client, so several clients can publish their keys in one JWKS.
  const kid = randomUUID().slice(0, 8);
  const esJwk = { ...(await exportJWK(es.publicKey)), kid: `es-${kid}`, alg: 'ES384', use: 'sig' };
  const rsJwk = { ...(await exportJWK(rs.publicKey)), kid: `rs-${kid}`, alg: 'RS384', use: 'sig' };
  return {
    iss,
    jwks: { keys: [esJwk, rsJwk] },
    async sign({ aud, alg = 'ES384', expiresInS = 300, iatOffsetS = 0, jti = randomUUID(), omit = [], header = {}, claims = {} }) {
      const now = Math.floor(Date.now() / 1000) + iatOffsetS;
      const payload: Record<string, unknown> = { iss, aud, ...claims };
      if (!omit.includes('exp')) payload.exp = now + expiresInS;
      if (!omit.includes('iat')) payload.iat = now;
      if (!omit.includes('jti')) payload.jti = jti;
      const key = alg === 'ES384' ? es.privateKey : rs.privateKey;
      return new SignJWT(payload).setProtectedHeader({ alg, kid: alg === 'ES384' ? esJwk.kid : rsJwk.kid, typ: 'JWT', ...header }).sign(key);
    },
  };
}

/** A token that no verifier may accept: `alg: none`, unsigned. */
export function unsignedToken(payload: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** A token signed with a shared secret (HS256): symmetric algorithms are never accepted. */
export async function hmacToken(payload: Record<string, unknown>): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-len!'));
}
