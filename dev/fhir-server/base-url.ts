import type { IncomingHttpHeaders } from 'node:http';

/**
 * The base URL as the client addressed it (its Host header), so that links and Locations work
 * through port maps and when the server listens on 0.0.0.0; `fallback` otherwise.
 */
export function requestBaseUrl(headers: IncomingHttpHeaders | undefined, fallback: string): string {
  const host = headers?.host;
  return host ? `http://${host}${new URL(fallback).pathname}` : fallback;
}
