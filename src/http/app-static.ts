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
