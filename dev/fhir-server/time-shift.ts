/**
 * Moves every dateTime in a resource or Bundle by one offset so that its latest one falls at
 * `latestAt` (minus a margin): hand-made demo patients stay "current" whenever they are loaded.
 * Dates without a time (birthDate) are left alone.
 */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function shiftToNow<T>(value: T, latestAt: number = Date.now() - 5 * 60_000): T {
  let latest = -Infinity;
  const scan = (v: unknown): void => {
    if (typeof v === 'string' && ISO_DATETIME.test(v)) latest = Math.max(latest, Date.parse(v));
    else if (Array.isArray(v)) v.forEach(scan);
    else if (v && typeof v === 'object') Object.values(v).forEach(scan);
  };
  scan(value);
  if (!Number.isFinite(latest)) return value;
  // Whole minutes, so shifted times stay readable.
  const offset = Math.floor((latestAt - latest) / 60_000) * 60_000;
  const shift = (v: unknown): unknown => {
    if (typeof v === 'string' && ISO_DATETIME.test(v)) return new Date(Date.parse(v) + offset).toISOString();
    if (Array.isArray(v)) return v.map(shift);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shift(x)]));
    return v;
  };
  return shift(value) as T;
}
