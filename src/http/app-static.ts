/**
 * Serves the Cairn app (app/, built into app/dist by `npm run build:app`) at /app/. The app is
 * static: index.html, launch.html and hashed assets, which may be cached for good; the two pages
 * are never cached, so a new build is picked up at the next launch. Without a build, /app/ answers
 * 404 with the command that makes one, rather than an empty page.
 */
import express, { type Router } from 'express';
import { join } from 'node:path';
import { nearestDirectoryAbove } from '../fhir/shipped-files.js';
import { operationOutcome } from '../hooks/operation-outcome.js';

/**
 * Headers on every file of the app. The pages run only the app's own scripts (no inline script, no
 * eval); they talk to Cairn and to whichever EHR launched them (its FHIR server and authorization
 * endpoints, any http(s) origin: the EHR is not known in advance). No Referer leaves the app: its
 * address carries the launch's `code` and `state` on the way back from the authorization server.
 * Framing stays allowed: EHRs embed SMART apps in their own pages.
 */
const APP_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    // React and uPlot set styles through the DOM (allowed); the stylesheet is the app's own file.
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self' https: http:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** The built app's folder, if there is one. */
export function builtAppDir(): string | undefined {
  return nearestDirectoryAbove(import.meta.url, join('app', 'dist'));
}

export function appStatic(dir = builtAppDir()): Router {
  const router = express.Router();
  if (dir === undefined) {
    router.use((_req, res) => {
      res.status(404).type('application/fhir+json').send(JSON.stringify(operationOutcome('error', 'not-found', 'the Cairn app is not built: run `npm run build:app`')));
    });
    return router;
  }
  router.use((_req, res, next) => {
    for (const [name, value] of Object.entries(APP_HEADERS)) res.setHeader(name, value);
    next();
  });
  router.use(
    express.static(dir, {
      index: 'index.html',
      redirect: true,
      setHeaders(res, path) {
        if (path.endsWith('.html')) res.setHeader('cache-control', 'no-store');
        else if (path.includes(`${join('dist', 'assets')}`)) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      },
    }),
  );
  return router;
}
