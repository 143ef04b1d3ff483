/**
 * Which errors reaching the express error handler are the client's fault, and what to answer.
 *
 * A client error is answered with its 4xx status and an OperationOutcome, counted as a bad request
 * and logged at info without a stack: it says nothing about Cairn's health, and a stack trace at
 * error level for every corrupt body would let any caller flood the error logs. Everything else
 * is ours: 500, logged at error level by the caller.
 *
 * The errors come from two places before our handlers run:
 * - body-parser (express.json): every error it passes on carries an http-errors status, 4xx for
 *   the client's faults, and a `type` for most (entity.parse.failed, entity.too.large,
 *   encoding.unsupported, request.size.invalid, request.aborted…). A body that is not valid data
 *   for its Content-Encoding (gzip, deflate, br, or an empty gzip body) is zlib's error wrapped
 *   with status 400 and no type.
 * - the router: a path parameter with a malformed percent-escape (`/cds-services/%`) makes its
 *   decodeURIComponent throw a URIError, to which it gives status 400.
 */
import type { Request } from 'express';
import { operationOutcome, type OperationOutcome } from '../hooks/operation-outcome.js';

export interface ClientErrorAnswer {
  status: number;
  outcome: OperationOutcome;
  /** Short, fixed text for the log line (never the body, which may hold patient data). */
  reason: string;
}

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
  expose?: unknown;
  message?: unknown;
  /** The body as received, on a body-parser parse error. */
  body?: unknown;
}

/** "null", "a string", "a number" or "a boolean" when the text is JSON of that kind; undefined otherwise. */
function jsonScalarKind(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null) return 'null';
  return typeof value === 'object' ? undefined : `a ${typeof value}`;
}

function statusOf(e: HttpErrorLike): number | undefined {
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return status !== undefined && Number.isInteger(status) ? status : undefined;
}

/** The request's Content-Encoding when it names a compression (not identity or absent). */
function compression(req: Request): string | undefined {
  const value = req.headers['content-encoding']?.trim().toLowerCase();
  return value && value !== 'identity' ? value : undefined;
}

/** The answer for a client error, or undefined when the error is Cairn's own (a 500). */
export function clientErrorAnswer(err: unknown, req: Request): ClientErrorAnswer | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as HttpErrorLike;
  const status = statusOf(e);
  // The router's URIError has status 400; a URIError thrown by our own code would not.
  if (err instanceof URIError && status === 400) {
    return {
      status: 400,
      outcome: operationOutcome('error', 'invalid', 'the request path has a malformed percent-escape (a "%" not followed by two hexadecimal digits of valid UTF-8)'),
      reason: 'malformed path escape',
    };
  }
  if (status === undefined || status < 400 || status > 499) return undefined;
  switch (e.type) {
    case 'entity.parse.failed': {
      // The parser also refuses JSON that is not an object or array (null, "text", 5): say so, not "invalid".
      const scalar = typeof e.body === 'string' ? jsonScalarKind(e.body) : undefined;
      return scalar
        ? { status: 400, outcome: operationOutcome('error', 'invalid', `the request body must be a JSON object, not ${scalar}`), reason: 'JSON not an object' }
        : { status: 400, outcome: operationOutcome('error', 'invalid', 'the request body is not valid JSON'), reason: 'invalid JSON' };
    }
    case 'entity.too.large':
      return { status: 413, outcome: operationOutcome('error', 'too-costly', 'the request body is too large'), reason: 'body too large' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return {
        status: 415,
        outcome: operationOutcome('error', 'not-supported', typeof e.message === 'string' ? e.message : 'unsupported encoding'),
        reason: String(e.type),
      };
    case 'request.size.invalid':
      return {
        status: 400,
        outcome: operationOutcome('error', 'invalid', 'the request body is not as long as its Content-Length says'),
        reason: 'Content-Length mismatch',
      };
    case 'request.aborted':
      // Nobody reads this answer; it is sent so that the response (and any admission slot) closes.
      return { status: 400, outcome: operationOutcome('error', 'incomplete', 'the request was aborted'), reason: 'request aborted' };
  }
  const encoding = compression(req);
  if (encoding !== undefined && e.type === undefined && status === 400) {
    // zlib's message ("incorrect header check", "unexpected end of file") is safe but unhelpful.
    return {
      status: 400,
      outcome: operationOutcome('error', 'invalid', `the request body is not valid ${encoding} data (Content-Encoding: ${encoding})`),
      reason: 'corrupt compressed body',
    };
  }
  // Any other 4xx from the express stack: http-errors marks 4xx messages as safe to show.
  const message = e.expose === true && typeof e.message === 'string' ? e.message : 'bad request';
  return { status, outcome: operationOutcome('error', 'invalid', message), reason: typeof e.type === 'string' ? e.type : 'client error' };
}
