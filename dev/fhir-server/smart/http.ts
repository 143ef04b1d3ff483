import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestBaseUrl } from '../base-url.js';
import type { BrowserOutcome, JsonOutcome, SmartAuthServer } from './auth-server.js';
import { AUTH_PATH, openidConfiguration, smartConfiguration, smartEndpoints } from './discovery.js';
import { errorPage, patientPickerPage } from './html.js';

export interface SmartHttpContext {
  smart: SmartAuthServer;
  /** e.g. /fhir */
  basePath: string;
  /** The FHIR base as the server listens, for requests without a Host header. */
  baseUrl: () => string;
}

// A token or introspection request is a few hundred bytes of form; this leaves ample room.
const MAX_FORM_BYTES = 64 * 1024;

type Route = 'smart-configuration' | 'openid-configuration' | 'jwks' | 'launch' | 'authorize' | 'token' | 'introspect';

function routeOf(pathname: string, basePath: string): Route | undefined {
  switch (pathname) {
    case `${basePath}/.well-known/smart-configuration`:
      return 'smart-configuration';
    case `${basePath}/.well-known/openid-configuration`:
      return 'openid-configuration';
    case `${basePath}/.well-known/jwks.json`:
      return 'jwks';
    case `${basePath}/launch`:
      return 'launch';
    case `${AUTH_PATH}/authorize`:
      return 'authorize';
    case `${AUTH_PATH}/token`:
      return 'token';
    case `${AUTH_PATH}/introspect`:
      return 'introspect';
  }
  return undefined;
}

const POST_ROUTES = new Set<Route>(['token', 'introspect']);

function sendJson(res: ServerResponse, status: number, body: unknown, noStore = false): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    // Token responses must not be cached (RFC 6749 §5.1).
    ...(noStore && { 'Cache-Control': 'no-store', Pragma: 'no-cache' }),
  });
  res.end(json);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    // The pages are static markup with inline style: nothing else may load or run.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Referrer-Policy': 'no-referrer',
  });
  res.end(html);
}

function sendBrowserOutcome(res: ServerResponse, outcome: BrowserOutcome, pickerLead: string): void {
  switch (outcome.kind) {
    case 'redirect':
      res.writeHead(302, { Location: outcome.location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
      res.end();
      return;
    case 'error':
      sendHtml(res, outcome.status, errorPage(outcome.title, outcome.message));
      return;
    case 'pick-patient':
      sendHtml(res, 200, patientPickerPage('Choose a patient', pickerLead, outcome.patients, outcome.choose));
  }
}

function sendOauth(res: ServerResponse, outcome: JsonOutcome): void {
  sendJson(res, outcome.status, outcome.body, true);
}

class FormError extends Error {}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new FormError('The body must be application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new FormError('The body is too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Serves the SMART endpoints: discovery under the FHIR base, the launcher at `{base}/launch`
 * (`app`, `patient`, `encounter`, `user` and a card's `appContext`, kept with the launch and
 * returned in the token response), and the OAuth endpoints under `/auth`. Returns false, having done nothing, for any other path.
 */
export async function handleSmartRequest(ctx: SmartHttpContext, req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<boolean> {
  const route = routeOf(url.pathname, ctx.basePath);
  if (!route) return false;
  const wanted = POST_ROUTES.has(route) ? 'POST' : 'GET';
  if (method !== wanted) {
    res.setHeader('Allow', wanted);
    sendJson(res, 405, { error: 'invalid_request', error_description: `${url.pathname} takes ${wanted}` });
    return true;
  }
  const listening = ctx.baseUrl();
  const fhirBase = requestBaseUrl(req.headers, listening);
  const endpoints = smartEndpoints(fhirBase);
  const { smart } = ctx;

  switch (route) {
    case 'smart-configuration':
      sendJson(res, 200, smartConfiguration(endpoints));
      return true;
    case 'openid-configuration':
      sendJson(res, 200, openidConfiguration(endpoints));
      return true;
    case 'jwks':
      sendJson(res, 200, await smart.signingKey.jwks());
      return true;
    case 'launch':
      sendBrowserOutcome(res, await smart.launch(url.searchParams, fhirBase), 'Launch the app for:');
      return true;
    case 'authorize':
      sendBrowserOutcome(res, await smart.authorize(url.searchParams, [fhirBase, listening]), 'The app asks for patient context. Give it access to:');
      return true;
    case 'token':
    case 'introspect': {
      let form: URLSearchParams;
      try {
        form = await readForm(req);
      } catch (err) {
        if (!(err instanceof FormError)) throw err;
        sendOauth(res, { status: 400, body: { error: 'invalid_request', error_description: err.message } });
        return true;
      }
      sendOauth(res, route === 'token' ? await smart.token(form, req.headers.authorization) : smart.introspect(form));
      return true;
    }
  }
}
