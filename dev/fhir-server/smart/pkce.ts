import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * PKCE (RFC 7636) with the S256 method only: SMART App Launch 2.0 requires S256 and forbids
 * `plain`. A verifier is 43 to 128 unreserved characters (RFC 7636 §4.1); an S256 challenge is
 * the base64url of a SHA-256 digest, so exactly 43 characters without padding (§4.2).
 */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isCodeVerifier(value: string): boolean {
  return VERIFIER.test(value);
}

export function isS256Challenge(value: string): boolean {
  return S256_CHALLENGE.test(value);
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Whether `verifier` hashes to `challenge`, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const actual = Buffer.from(s256(verifier));
  const expected = Buffer.from(challenge);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
