/**
 * Encounters: class (emergency / inpatient / ambulatory ...), period, reason for visit, and the
 * choice of the "current" encounter.
 */
import type { BuildEnv } from './env.js';
import { isAfterReference } from './env.js';
import { codedText, isObject, objects, parseFhirDateTime, prop, str, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { CodedText, EncounterClass, EncounterSummary, PatientContext } from './types.js';

/**
 * HL7 v3 ActCode encounter codes (R4 Encounter.class binding, terminology.hl7.org
 * ValueSet/v3-ActEncounterCode) → Cairn class. Plain-word forms seen in non-conformant feeds
 * are accepted too.
 */
const CLASS_BY_CODE = new Map<string, EncounterClass>([
  ['EMER', 'emergency'],
  ['IMP', 'inpatient'],
  ['ACUTE', 'inpatient'],
  ['NONAC', 'inpatient'],
  ['AMB', 'ambulatory'],
  ['OBSENC', 'observation'],
  ['SS', 'short-stay'],
  ['VR', 'virtual'],
  ['HH', 'home'],
  ['FLD', 'field'],
  ['PRENC', 'other'],
  ['EMERGENCY', 'emergency'],
  ['INPATIENT', 'inpatient'],
  ['AMBULATORY', 'ambulatory'],
  ['OUTPATIENT', 'ambulatory'],
]);

/** Encounter statuses meaning the patient is (still) there. */
const ONGOING_STATUSES: ReadonlySet<string> = new Set(['arrived', 'triaged', 'in-progress', 'onleave']);

function readClass(r: unknown): { cls: EncounterClass; code: string | null } {
  // R4: class is a Coding. R5 and some feeds send a CodeableConcept or an array of them.
  let coding: unknown = prop(r, 'class');
  if (Array.isArray(coding)) coding = coding[0];
  if (isObject(coding) && !('code' in coding) && Array.isArray(prop(coding, 'coding'))) {
    coding = objects(coding, 'coding')[0];
  }
  const code = text(coding, 'code');
  if (!code) return { cls: 'unknown', code: null };
  return { cls: CLASS_BY_CODE.get(code.toUpperCase()) ?? 'other', code };
}

export function summariseEncounter(item: SourceItem, env: BuildEnv): EncounterSummary | undefined {
  const r = item.resource;
  const status = text(r, 'status');
  if (status === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return undefined;
  }
  if (status === 'cancelled') {
    env.exclude(item.source, 'status-not-usable', 'encounter cancelled');
    return undefined;
  }
  const period = prop(r, 'period');
  const startRaw = str(period, 'start') ?? null;
  const endRaw = str(period, 'end') ?? null;
  const start = startRaw === null ? undefined : parseFhirDateTime(startRaw);
  const end = endRaw === null ? undefined : parseFhirDateTime(endRaw);
  if ((startRaw !== null && !start) || (endRaw !== null && !end)) {
    env.exclude(item.source, 'invalid-time', 'period start/end is not a valid dateTime; encounter kept without that time');
  }
  if (start && isAfterReference(env, start.time)) {
    env.exclude(item.source, 'after-reference-time', `encounter starts ${startRaw} after the reference time`);
    return undefined;
  }
  const { cls, code } = readClass(r);

  const reasons: EncounterSummary['reasons'] = [];
  for (const concept of objects(r, 'reasonCode')) {
    const ct = codedText(concept);
    if (ct) reasons.push(ct);
  }
  for (const ref of objects(r, 'reasonReference')) {
    const reference = text(ref, 'reference');
    const target = reference ? env.resolve(reference, r) : undefined;
    const ct = target ? codedText(prop(target, 'code')) : undefined;
    const display = text(ref, 'display') ?? null;
    if (ct) reasons.push({ ...ct, ...(reference ? { reference } : {}) });
    else if (display || reference) reasons.push({ codings: [], text: display, ...(reference ? { reference } : {}) });
  }
  const type: CodedText[] = objects(r, 'type')
    .map(codedText)
    .filter((t): t is CodedText => t !== undefined);

  return {
    source: item.source,
    id: item.id ?? null,
    status: status ?? 'unknown',
    class: cls,
    classCode: code,
    period: {
      start: start ? startRaw : null,
      end: end ? endRaw : null,
      startTime: start ? start.time : null,
      endTime: end ? end.time : null,
    },
    reasons,
    type,
  };
}

/**
 * The encounter a hook call is about: the one named by the CDS Hooks context if given; else one
 * still ongoing at the reference time (by status, or by a period that spans it — the latter
 * matters when replaying history); else the latest one. Planned encounters are never current.
 */
export function chooseCurrentEncounter(
  encounters: readonly EncounterSummary[],
  referenceTime: number,
  encounterId: string | undefined,
): { encounter: EncounterSummary | null; basis: PatientContext['currentEncounterBasis'] } {
  if (encounterId) {
    const named = encounters.find((e) => e.id === encounterId || e.source === `Encounter/${encounterId}`);
    if (named) return { encounter: named, basis: 'context-encounter-id' };
  }
  const candidates = encounters.filter((e) => e.status !== 'planned');
  const ongoing = candidates.filter(
    (e) =>
      (e.period.startTime === null || e.period.startTime <= referenceTime) &&
      (ONGOING_STATUSES.has(e.status) || (e.period.endTime !== null && e.period.endTime > referenceTime && e.period.startTime !== null)),
  );
  const latest = (list: EncounterSummary[]): EncounterSummary | undefined =>
    list.reduce<EncounterSummary | undefined>((best, e) => {
      if (!best) return e;
      return (e.period.startTime ?? -Infinity) >= (best.period.startTime ?? -Infinity) ? e : best;
    }, undefined);
  const current = latest(ongoing);
  if (current) return { encounter: current, basis: 'in-progress' };
  const last = latest(candidates);
  if (last) return { encounter: last, basis: 'latest' };
  return { encounter: null, basis: 'none' };
}
