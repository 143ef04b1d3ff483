/**
 * How current a trial's status is. A trial record's overall status (Recruiting …) is what
 * ClinicalTrials.gov said when Cairn read the record: the card and the API say when that was
 * ("status as of 3 Feb 2023"), and call it possibly out of date once the read is older than
 * CAIRN_TRIAL_STALE_DAYS. Every word of it is computed from the stored fetch date and the clock.
 * Pure.
 */

/**
 * CAIRN_TRIAL_STALE_DAYS by default. The FDAAA 801 final rule (42 CFR Part 11, § 11.64) has a
 * trial's overall recruitment status updated within 30 days of a change: a status read longer ago
 * than that may have changed without Cairn knowing.
 */
export const DEFAULT_TRIAL_STALE_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

export interface StatusDate {
  /** The day the status was read (UTC), YYYY-MM-DD. */
  asOf: string;
  /** Whole days from that read to `now` (negative when the clock is behind the stored date). */
  ageDays: number;
  /** The read is older than the configured number of days. */
  stale: boolean;
}

/** When the status `fetchedAt` (ISO 8601) was read, seen from `now`; stale past `staleAfterDays` days. */
export function statusDate(fetchedAt: string, now: Date, staleAfterDays: number): StatusDate {
  const at = new Date(fetchedAt);
  if (Number.isNaN(at.getTime())) throw new Error(`not a date: ${fetchedAt}`);
  const elapsed = now.getTime() - at.getTime();
  return { asOf: at.toISOString().slice(0, 10), ageDays: Math.floor(elapsed / DAY_MS), stale: elapsed > staleAfterDays * DAY_MS };
}

/** 2023-02-03 → "3 Feb 2023": one form whatever the server's locale, unambiguous to US and European readers alike. */
export function dayLabel(isoDay: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDay);
  if (!m) throw new Error(`not a date: ${isoDay}`);
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? '?'} ${m[1]}`;
}

/** "status as of 3 Feb 2023", and " — may be out of date" when stale. */
export function statusAsOfText(d: StatusDate): string {
  return `status as of ${dayLabel(d.asOf)}${d.stale ? ' — may be out of date' : ''}`;
}
