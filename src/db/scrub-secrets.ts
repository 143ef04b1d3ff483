/**
 * Keeping secrets out of what errors and logs show: the password of a connection string, and the
 * bound parameters (which can hold patient data) that PGlite attaches to its errors.
 */

/** A URL safe to show: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Up to the LAST '@': an unencoded '@' in a password is what often makes a URL malformed.
    return url.replace(/(\/\/[^:/@]*:).*@/, '$1***@');
  }
}

/** The password of a connection string, in each form it may appear in (raw and decoded). */
export function passwordOf(url: string): string[] {
  let raw: string | undefined;
  try {
    raw = new URL(url).password;
  } catch {
    raw = /\/\/[^:/@]*:(.*)@/.exec(url)?.[1];
  }
  if (!raw) return [];
  const variants = new Set([raw]);
  try {
    variants.add(decodeURIComponent(raw));
  } catch {
    // A malformed escape is still matched in its raw form.
  }
  return [...variants].filter((s) => s.length > 0);
}

/** Replaces the password anywhere in an error's message, stack and string fields (e.g. Node's `input`). */
export function scrubSecrets(err: unknown, secrets: string[]): unknown {
  if (secrets.length === 0) return err;
  const scrub = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
  if (err instanceof Error) {
    const fields = err as unknown as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(err)) {
      const value = fields[key];
      if (typeof value === 'string') fields[key] = scrub(value);
    }
    if (err.cause !== undefined) scrubSecrets(err.cause, secrets);
    return err;
  }
  return typeof err === 'string' ? scrub(err) : err;
}

// PGlite attaches the bound parameters to its errors; they can hold patient data and must not
// reach logs. node-postgres errors never carry them, so drop them for the same shape.
export function scrubPGliteError(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    delete e.params;
    delete e.queryOptions;
  }
  return err;
}
