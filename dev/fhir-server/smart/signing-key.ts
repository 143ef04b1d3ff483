import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

// RS256: the algorithm every OpenID Connect relying party must accept (OIDC Core §15.1).
const ALG = 'RS256';

interface KeyPair {
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * The dev server's id_token signing key: generated when first needed (most test servers never
 * issue an id_token, and RSA generation costs tens of milliseconds) and lost when the server
 * stops, so a token from an earlier run never verifies.
 */
export class DevSigningKey {
  private pair: Promise<KeyPair> | undefined;

  private keyPair(): Promise<KeyPair> {
    this.pair ??= (async () => {
      const { privateKey, publicKey } = await generateKeyPair(ALG);
      const jwk = await exportJWK(publicKey);
      return { privateKey, jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALG, use: 'sig' } };
    })();
    return this.pair;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.keyPair()).jwk] };
  }

  async sign(claims: JWTPayload, lifetimeSeconds: number): Promise<string> {
    const { privateKey, jwk } = await this.keyPair();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: jwk.kid ?? '', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(`${Math.max(1, Math.ceil(lifetimeSeconds))}s`)
      .sign(privateKey);
  }
}
