/** What GET /api/analytics/feedback answers (see /openapi.json: FeedbackAnalytics). */

export interface OutcomeCounts {
  issued: number;
  accepted: number;
  overridden: number;
  /** Issued without any feedback: closed, ignored or never seen alike (CDS Hooks feedback has no "dismissed"). */
  noFeedback: number;
}

export interface OverrideReason {
  system?: string;
  code?: string;
  display?: string;
  count: number;
}

export interface KindAnalytics extends OutcomeCounts {
  serviceId: string;
  /** The rule that made the cards; null for cards without provenance. */
  ruleId: string | null;
  overrideReasons: OverrideReason[];
  series: Array<OutcomeCounts & { day: string }>;
}

export interface FeedbackAnalytics {
  from: string;
  to: string;
  bucket: 'day';
  totals: OutcomeCounts;
  kinds: KindAnalytics[];
}

export const OUTCOMES = ['issued', 'accepted', 'overridden', 'noFeedback'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const OUTCOME_LABEL: Record<Outcome, string> = { issued: 'Issued', accepted: 'Accepted', overridden: 'Overridden', noFeedback: 'No feedback' };

/** The days of the range with the kinds' counts added up. */
export function dailyTotals(kinds: readonly KindAnalytics[]): Array<OutcomeCounts & { day: string }> {
  const byDay = new Map<string, OutcomeCounts & { day: string }>();
  for (const k of kinds) {
    for (const d of k.series) {
      const sum = byDay.get(d.day) ?? { day: d.day, issued: 0, accepted: 0, overridden: 0, noFeedback: 0 };
      for (const o of OUTCOMES) sum[o] += d[o];
      byDay.set(d.day, sum);
    }
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}

export function share(n: number, of: number): string {
  return of === 0 ? '—' : `${Math.round((100 * n) / of)}%`;
}

export function kindName(k: Pick<KindAnalytics, 'ruleId'>): string {
  return k.ruleId ?? 'cards without provenance';
}
