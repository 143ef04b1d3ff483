/**
 * Pregnancy status at the reference time, from pregnancy-status Observations (LOINC 82810-3) and
 * pregnancy Conditions (value set cairn-pregnancy). The most recent evidence decides; evidence
 * older than the longest pregnancy says nothing about now, so the status is then `unknown`.
 * Sex is not used to infer "not pregnant": unknown is never normal.
 */
import type { PregnancyObservation } from './observations.js';
import type { ConditionEntry, PregnancyStatus } from './types.js';

/**
 * 42 weeks: a pregnancy lasting beyond 42 0/7 weeks is post-term (ACOG Practice Bulletin 146,
 * "Management of late-term and postterm pregnancies", 2014), so no pregnancy started earlier
 * than this can still be ongoing, and a "pregnant" record older than this is stale.
 */
export const PREGNANCY_EVIDENCE_MAX_AGE_MS = 42 * 7 * 24 * 60 * 60 * 1000;

export const PREGNANCY_CONDITION_VALUE_SET = 'cairn-pregnancy';

export function pregnancyStatus(
  observations: readonly PregnancyObservation[],
  conditions: readonly ConditionEntry[],
  referenceTime: number,
): PregnancyStatus {
  type Evidence = PregnancyStatus['evidence'][number] & { time: number | null };
  const evidence: Evidence[] = observations.map((o) => ({ source: o.source, kind: 'observation', value: o.value, date: o.date, time: o.time }));
  for (const c of conditions) {
    if (!c.valueSets.includes(PREGNANCY_CONDITION_VALUE_SET) || c.tentative) continue;
    if (c.activeAtReference === 'yes') {
      evidence.push({ source: c.source, kind: 'condition', value: 'pregnant', date: c.onset ?? c.recordedDate, time: c.onsetTime });
    } else if (c.activeAtReference === 'no' && c.abatementTime !== null) {
      // A pregnancy that ended is evidence of not being pregnant at its end date.
      evidence.push({ source: c.source, kind: 'condition', value: 'not-pregnant', date: c.abatement, time: c.abatementTime });
    }
  }
  // Most recent first; undated evidence last.
  evidence.sort((a, b) => (b.time ?? -Infinity) - (a.time ?? -Infinity));
  const publicEvidence = evidence.map(({ time: _time, ...e }) => e);
  const latest = evidence[0];
  if (!latest) return { status: 'unknown', evidence: [] };
  if (latest.time === null) {
    return { status: latest.value, evidence: publicEvidence, note: 'the evidence has no date' };
  }
  if (referenceTime - latest.time > PREGNANCY_EVIDENCE_MAX_AGE_MS) {
    return {
      status: 'unknown',
      evidence: publicEvidence,
      note: `latest pregnancy evidence (${latest.date ?? 'undated'}) is older than 42 weeks`,
    };
  }
  const note = latest.value === 'not-pregnant' ? `not pregnant as of ${latest.date ?? 'an unknown date'}` : undefined;
  return { status: latest.value, evidence: publicEvidence, ...(note ? { note } : {}) };
}
