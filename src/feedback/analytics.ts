/**
 * What clinicians did with the cards Cairn issued: per service and kind of card (the rule that
 * made it, issued_cards.rule_id), how many were issued, accepted, overridden (with the reasons
 * given) or got no feedback, per UTC day of issue. The issued-card ledger is the denominator, so
 * feedback is counted only for cards Cairn issued (the feedback endpoint refuses any other).
 *
 * A card's outcome is its latest feedback (by outcome timestamp): a clinician who overrode a card
 * and later accepted it counts as accepted. A card without feedback is "no feedback", not
 * "dismissed": CDS Hooks 2.0 feedback has only `accepted` and `overridden`, so an EHR reports
 * nothing when a card is closed, ignored or never seen, and these cannot be told apart.
 *
 * Override comments (free text) are never read here: they may name the patient.
 *
 * One SQL statement for PGlite and PostgreSQL alike; it groups down to (service, rule, day,
 * outcome, reason), which stays small, and the rest is put together here (pure).
 */
import type { Queryable } from '../db/database.js';

export interface FeedbackAnalyticsQuery {
  /** First day (UTC, YYYY-MM-DD), included. */
  from: string;
  /** Last day (UTC, YYYY-MM-DD), included. */
  to: string;
  /** Only this service. */
  serviceId?: string;
}

export interface OutcomeCounts {
  issued: number;
  accepted: number;
  overridden: number;
  /** Issued without any feedback: not necessarily dismissed (see above). */
  noFeedback: number;
}

export interface OverrideReasonCount {
  /** The reason's coding; all absent for overrides that gave no reason. */
  system?: string;
  code?: string;
  display?: string;
  count: number;
}

export interface KindAnalytics extends OutcomeCounts {
  serviceId: string;
  /** The rule that made the cards (card provenance); null for cards issued without provenance. */
  ruleId: string | null;
  overrideReasons: OverrideReasonCount[];
  /** One entry per day of the range, days without cards included (zeros), oldest first. */
  series: Array<OutcomeCounts & { day: string }>;
}

export interface FeedbackAnalytics {
  from: string;
  to: string;
  bucket: 'day';
  totals: OutcomeCounts;
  kinds: KindAnalytics[];
}

/** One group of the statement: cards of one service, rule and day with the same outcome and reason. */
export interface OutcomeRow {
  service_id: string;
  rule_id: string | null;
  day: string;
  outcome: 'accepted' | 'overridden' | null;
  reason_system: string | null;
  reason_code: string | null;
  reason_display: string | null;
  cards: string | number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

/** The UTC days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  if (!DAY.test(from) || !DAY.test(to)) throw new RangeError('days must be YYYY-MM-DD');
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += MS_PER_DAY) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export async function feedbackAnalytics(db: Queryable, query: FeedbackAnalyticsQuery): Promise<FeedbackAnalytics> {
  const start = `${query.from}T00:00:00Z`;
  const end = new Date(Date.parse(`${query.to}T00:00:00Z`) + MS_PER_DAY).toISOString();
  const res = await db.query<OutcomeRow>(
    `WITH outcomes AS (
       SELECT c.service_id, c.rule_id,
              to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
              f.outcome, f.override_reason
         FROM issued_cards c
         LEFT JOIN LATERAL (
           SELECT fb.outcome, fb.override_reason
             FROM cds_feedback fb
            WHERE fb.card_uuid = c.card_uuid AND fb.service_id = c.service_id
            ORDER BY fb.outcome_timestamp DESC, fb.id DESC
            LIMIT 1
         ) f ON true
        WHERE c.issued_at >= $1::timestamptz AND c.issued_at < $2::timestamptz
          AND ($3::text IS NULL OR c.service_id = $3)
     )
     SELECT service_id, rule_id, day, outcome,
            CASE WHEN outcome = 'overridden' THEN override_reason #>> '{reason,system}' END AS reason_system,
            CASE WHEN outcome = 'overridden' THEN override_reason #>> '{reason,code}' END AS reason_code,
            max(CASE WHEN outcome = 'overridden' THEN override_reason #>> '{reason,display}' END) AS reason_display,
            count(*) AS cards
       FROM outcomes
      GROUP BY service_id, rule_id, day, outcome, reason_system, reason_code
      ORDER BY service_id, rule_id NULLS LAST, day`,
    [start, end, query.serviceId ?? null],
  );
  return summarise(res.rows, query);
}

const zero = (): OutcomeCounts => ({ issued: 0, accepted: 0, overridden: 0, noFeedback: 0 });

function add(into: OutcomeCounts, outcome: OutcomeRow['outcome'], n: number): void {
  into.issued += n;
  if (outcome === 'accepted') into.accepted += n;
  else if (outcome === 'overridden') into.overridden += n;
  else into.noFeedback += n;
}

/** The grouped rows as the answer: kinds in service and rule order, reasons by count, every day of the range. */
export function summarise(rows: readonly OutcomeRow[], query: Pick<FeedbackAnalyticsQuery, 'from' | 'to'>): FeedbackAnalytics {
  const days = daysBetween(query.from, query.to);
  const totals = zero();
  const kinds = new Map<string, { kind: KindAnalytics; byDay: Map<string, OutcomeCounts>; reasons: Map<string, OverrideReasonCount> }>();
  for (const row of rows) {
    const n = Number(row.cards);
    const key = JSON.stringify([row.service_id, row.rule_id]);
    let entry = kinds.get(key);
    if (!entry) {
      entry = { kind: { serviceId: row.service_id, ruleId: row.rule_id, ...zero(), overrideReasons: [], series: [] }, byDay: new Map(), reasons: new Map() };
      kinds.set(key, entry);
    }
    add(totals, row.outcome, n);
    add(entry.kind, row.outcome, n);
    const day = entry.byDay.get(row.day) ?? zero();
    add(day, row.outcome, n);
    entry.byDay.set(row.day, day);
    if (row.outcome === 'overridden') {
      const reasonKey = JSON.stringify([row.reason_system, row.reason_code]);
      const reason = entry.reasons.get(reasonKey) ?? {
        ...(row.reason_system !== null && { system: row.reason_system }),
        ...(row.reason_code !== null && { code: row.reason_code }),
        ...(row.reason_display !== null && { display: row.reason_display }),
        count: 0,
      };
      reason.count += n;
      entry.reasons.set(reasonKey, reason);
    }
  }
  return {
    from: query.from,
    to: query.to,
    bucket: 'day',
    totals,
    kinds: [...kinds.values()].map(({ kind, byDay, reasons }) => ({
      ...kind,
      overrideReasons: [...reasons.values()].sort((a, b) => b.count - a.count || (a.code ?? '\uffff').localeCompare(b.code ?? '\uffff')),
      series: days.map((day) => ({ day, ...(byDay.get(day) ?? zero()) })),
    })),
  };
}
