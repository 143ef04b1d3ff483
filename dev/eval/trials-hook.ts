/**
 * The trial-match hook as an EHR meets it, on the TrialGPT development topics (issue #20 point 3's
 * check, rebuilt from the development sets): every judged trial of the set that has text is in
 * the store and marked recruiting; each topic becomes a FHIR Patient (age and sex read from the
 * topic text, as a registration desk would have recorded them) with the topic as one clinical
 * note; the `trial-match` hook is called with that prefetch, and the trials on its card, in the
 * card's order, are scored against the qrels (gains: eligible 2, excluded 1, not relevant 0;
 * unjudged 0). The baseline is plain BM25 over the same store (every imported trial), top 5.
 *
 * Pure: the resources a topic becomes, the card's list, and the per-topic metrics.
 */
import { buildPatientContext } from '../../src/fhir/context/build.js';
import type { Card } from '../../src/hooks/schema.js';
import { TRIAL_MATCH_EXTENSION } from '../../src/services/trials/card.js';
import { profileFromContext } from '../../src/services/trials/matching/profile.js';
import { ndcgAt } from './ranking-metrics.js';
import { EVAL_REFERENCE_TIME, topicResources } from './trials.js';

export interface TopicPatient {
  patientId: string;
  /** Age in whole years read from the text, when stated. */
  age?: number;
  sex?: 'female' | 'male';
  prefetch: Record<string, unknown>;
}

const bundle = (resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });

/**
 * The prefetch an EHR would send for the topic: a Patient whose birth date and administrative sex
 * are what the topic states (read by the same note reader the matcher uses, so a topic with no
 * stated age gets no birth date), one DocumentReference holding the topic text, and every other
 * key an empty search result (nothing coded: the point of the check).
 */
export function topicPatient(id: string, text: string, referenceTime: Date = EVAL_REFERENCE_TIME): TopicPatient {
  const [patient, note] = topicResources(id, text, referenceTime) as [{ resourceType: 'Patient'; id: string }, unknown];
  const read = profileFromContext(buildPatientContext({ resources: [patient, note], patientId: patient.id, referenceTime }));
  const age = read.age !== undefined ? Math.floor(read.age.value) : undefined;
  const sex = read.sex?.value;
  let birthDate: string | undefined;
  if (age !== undefined) {
    // Half a year before the birthday that makes the stated age: the age holds at the reference time.
    const d = new Date(referenceTime.getTime());
    d.setUTCFullYear(d.getUTCFullYear() - age);
    d.setUTCMonth(d.getUTCMonth() - 6);
    birthDate = d.toISOString().slice(0, 10);
  }
  const fhirPatient = { ...patient, ...(sex !== undefined && { gender: sex }), ...(birthDate !== undefined && { birthDate }) };
  return {
    patientId: patient.id,
    ...(age !== undefined && { age }),
    ...(sex !== undefined && { sex }),
    prefetch: {
      patient: fhirPatient,
      observations: bundle([]),
      conditions: bundle([]),
      medicationRequests: bundle([]),
      medicationStatements: bundle([]),
      notes: bundle([note]),
      reports: bundle([]),
    },
  };
}

/** The trials a trial-match card shows, in its order, and how many it says may fit. */
export function cardTrials(cards: readonly Card[]): { shown: string[]; fitting: number } {
  for (const card of cards) {
    const ext = card.extension?.[TRIAL_MATCH_EXTENSION] as { fitting?: number; trials?: Array<{ nctId: string }> } | undefined;
    if (ext) return { shown: (ext.trials ?? []).map((t) => t.nctId), fitting: ext.fitting ?? 0 };
  }
  return { shown: [], fitting: 0 };
}

/** NDCG@k of a list against a topic's judged grades (unjudged trials gain 0); undefined when no judged trial is relevant. */
export function topicNdcg(list: readonly string[], grades: ReadonlyMap<string, number>, k = 5): number | undefined {
  return ndcgAt(
    list.map((id) => grades.get(id) ?? 0),
    [...grades.values()],
    k,
  );
}

/**
 * The list in the best order its grades allow (highest first, ties in list order): NDCG@k of it
 * is the ceiling of any ordering of these trials, so a stage whose ceiling is below a baseline
 * cannot reach it by ranking alone, only by holding other trials.
 */
export function bestOrder(list: readonly string[], grades: ReadonlyMap<string, number>): string[] {
  return list
    .map((id, i) => ({ id, i, g: grades.get(id) ?? 0 }))
    .sort((a, b) => b.g - a.g || a.i - b.i)
    .map((x) => x.id);
}

/**
 * The grades with only the eligible trials counting (gain 1; excluded and not relevant 0): what a
 * card of trials the patient "may fit" is for. With the usual gains (eligible 2, excluded 1) a
 * list that rightly leaves out a trial judged excluded on the patient's disease loses a gain of 1.
 */
export function eligibleOnly(grades: ReadonlyMap<string, number>, eligibleGrade = 2): Map<string, number> {
  return new Map([...grades].map(([id, g]) => [id, g === eligibleGrade ? 1 : 0]));
}
