import type { RequestHandler } from 'express';
import corsMiddleware, { type CorsOptions, type CorsRequest } from 'cors';

/**
 * CORS for browser-based CDS clients (the CDS Hooks sandbox, SMART apps): only allowlisted origins,
 * and a preflight that needs no JWT and allows the Authorization header (CDS Hooks 2.0.1 §CORS
 * points to OWASP; "CORS * with no JWT check" is what we must not copy).
 *
 * Only an allowlisted origin gets any Access-Control-* header; every response varies on Origin;
 * a preflight (OPTIONS with Access-Control-Request-Method) ends in 204 before authentication;
 * any other OPTIONS goes on to the routes.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  // Never '*': a list, so the package reflects the request's origin only when it is in the list.
  const origin = [...allowed];
  // Empty lists, not undefined: an undefined allowedHeaders would make the package echo the request's.
  const none = { methods: [], allowedHeaders: [] } satisfies CorsOptions;
  // X-FHIR-Server: the API for apps names the FHIR server of the app's SMART token with it.
  const allowedPreflight = {
    methods: 'GET, POST, DELETE, OPTIONS',
    allowedHeaders: 'Authorization, Content-Type, X-FHIR-Server, Idempotency-Key',
    maxAge: 600,
  } satisfies CorsOptions;

  // Options per request: left to itself the package treats every OPTIONS as a preflight and sends
  // the credentials and preflight headers to any origin.
  const headers = corsMiddleware((req: CorsRequest, callback) => {
    const isAllowed = req.headers.origin !== undefined && allowed.has(req.headers.origin);
    callback(null, {
      origin,
      ...(isAllowed && { credentials: true, exposedHeaders: 'Content-Type' }),
      ...(isAllowed && isPreflight(req) ? allowedPreflight : none),
      // We end the preflight ourselves: the package would add Content-Length to the 204, which
      // RFC 9110 §8.6 forbids.
      preflightContinue: true,
    });
  });

  return (req, res, next) => {
    headers(req, res, (err?: unknown) => {
      if (err) next(err);
      else if (isPreflight(req)) res.status(204).end();
      else next();
    });
  };
}

function isPreflight(req: CorsRequest): boolean {
  return req.method === 'OPTIONS' && Boolean(req.headers['access-control-request-method']);
}
