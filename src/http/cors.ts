import type { RequestHandler } from 'express';

/**
 * CORS for browser-based CDS clients (the CDS Hooks sandbox, SMART apps): only allowlisted origins,
 * and a preflight that needs no JWT and allows the Authorization header (CDS Hooks 2.0.1 §CORS
 * points to OWASP; "CORS * with no JWT check" is what we must not copy).
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', 'Content-Type');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      if (origin && allowed.has(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
