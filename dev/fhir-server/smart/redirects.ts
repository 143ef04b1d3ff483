/**
 * Where the dev authorization server may send a browser: an app's redirect_uri, and the app
 * launch URL of the launcher. There is no client registration in dev, so instead of registered
 * redirect URIs the policy is: any http(s) URL on this machine (localhost, 127.0.0.0/8, [::1]),
 * plus the origins of an explicit allowlist. Anything else would make the server an open
 * redirector to the wider web.
 */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export type RedirectCheck = { ok: true; url: URL } | { ok: false; reason: string };

export function checkRedirect(value: string | null | undefined, allowedOrigins: readonly string[]): RedirectCheck {
  if (!value) return { ok: false, reason: 'is missing' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'is not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'must be http or https' };
  // A fragment would swallow the code and state appended to the query (RFC 6749 §3.1.2).
  if (url.hash) return { ok: false, reason: 'must not have a fragment' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  if (LOOPBACK_HOST.test(url.hostname) || allowedOrigins.includes(url.origin)) return { ok: true, url };
  return {
    ok: false,
    reason: `must be on localhost, 127.0.0.1 or [::1]${allowedOrigins.length ? ` or one of ${allowedOrigins.join(', ')}` : ''} (dev server policy; allow another origin with --allow-origin)`,
  };
}

/** An allowlist entry as an origin, or an error naming the entry. */
export function toOrigin(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new Error(`Not an absolute URL: ${entry}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Not an http(s) origin: ${entry}`);
  return url.origin;
}
