import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AuthError, type JwtVerifier } from './auth/verify-jwt.js';

/**
 * Requires a valid CDS client JWT on the request. Any failure is a bare 401 (no body, no reason:
 * CDS Hooks best practice); the reason goes to the log (with what the verifier found, e.g. the
 * `aud` received and those accepted), the token never does.
 */
export function authenticate(opts: {
  verifier: JwtVerifier;
  /** Cairn's public base URLs (config.publicUrls): the JWT `aud` may name the path called under any of them. */
  publicUrls: readonly string[];
  log: Logger;
  onFailure?: () => void;
}): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    // The full path called (this middleware may sit under a mount point), without the query string.
    const routePath = req.originalUrl.split('?')[0] ?? req.path;
    const reject = (reason: string, detail?: Readonly<Record<string, unknown>>) => {
      opts.onFailure?.();
      opts.log.warn({ ...detail, path: routePath, reason }, 'rejected CDS client');
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.status(401).end();
    };
    if (!match?.[1]) return reject('no bearer token');
    opts.verifier(match[1], opts.publicUrls, routePath).then(
      (client) => {
        res.locals.client = client;
        next();
      },
      (err: unknown) => {
        if (err instanceof AuthError) return reject(err.message, err.detail);
        opts.log.error({ path: routePath, err: { message: (err as Error).message } }, 'JWT verification error');
        reject('verifier error');
      },
    );
  };
}
