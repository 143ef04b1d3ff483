/**
 * Conditions (problem list and encounter diagnoses) with their clinical and verification status.
 *
 * - verificationStatus entered-in-error and refuted: excluded (recorded as exclusions);
 * - unconfirmed / provisional / differential: kept and marked `tentative`;
 * - clinicalStatus active / recurrence / relapse vs inactive / remission / resolved; missing → `unknown`
 *   (R4 requires it for non-entered-in-error conditions; its absence is not read as active);
 * - `activeAtReference` also honours onset/abatement dates, so replaying history at an earlier
 *   reference time sees a since-resolved condition as it was then.
 */
import type { BuildEnv } from './env.js';
import { isAfterReference } from './env.js';
import { choiceTime, codedText, firstCode, objects, plainTime, prop, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { ConditionClinicalStatus, ConditionEntry, ConditionVerificationStatus } from './types.js';

const CLINICAL_STATUS_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION_STATUS_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-category';

const CLINICAL: ReadonlySet<string> = new Set(['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']);
const ACTIVE: ReadonlySet<string> = new Set(['active', 'recurrence', 'relapse']);
const VERIFICATION: ReadonlySet<string> = new Set(['confirmed', 'unconfirmed', 'provisional', 'differential', 'refuted', 'entered-in-error']);

/** Status code from a CodeableConcept: the coding in the expected system, else any coding's code. */
function statusCode(concept: unknown, system: string, allowed: ReadonlySet<string>): string | undefined {
  const code = firstCode(concept, system) ?? objects(concept, 'coding').map((c) => text(c, 'code')).find((c) => c !== undefined);
  return code && allowed.has(code) ? code : undefined;
}

export function summariseCondition(item: SourceItem, env: BuildEnv): ConditionEntry | undefined {
  const r = item.resource;
  const verification = statusCode(prop(r, 'verificationStatus'), VERIFICATION_STATUS_SYSTEM, VERIFICATION);
  if (verification === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return undefined;
  }
  if (verification === 'refuted') {
    env.exclude(item.source, 'refuted', text(prop(r, 'code'), 'text') ?? undefined);
    return undefined;
  }
  const code = codedText(prop(r, 'code'));
  if (!code) {
    env.exclude(item.source, 'malformed-resource', 'Condition has no code or text');
    return undefined;
  }

  const onset = choiceTime(r, 'onset');
  const abatement = choiceTime(r, 'abatement');
  const recorded = plainTime(r, 'recordedDate');
  // Known to the record when recorded (else at onset): a condition first known after the
  // reference time did not exist in the record at that time. Unparseable dates are reported and
  // the condition is kept without them (its code still matters).
  const validRecorded = recorded !== undefined && recorded !== 'invalid' ? recorded : undefined;
  const validOnset = onset !== undefined && onset !== 'invalid' ? onset : undefined;
  const known = validRecorded ?? validOnset;
  if (known && isAfterReference(env, known.time)) {
    env.exclude(item.source, 'after-reference-time', `${validRecorded ? 'recordedDate' : 'onset'} ${known.raw} is after the reference time`);
    return undefined;
  }
  if (recorded === 'invalid') env.exclude(item.source, 'invalid-time', 'recordedDate is not a valid dateTime; kept without it');
  if (onset === 'invalid') env.exclude(item.source, 'invalid-time', 'onset[x] is not a valid dateTime; kept without onset');
  if (abatement === 'invalid') env.exclude(item.source, 'invalid-time', 'abatement[x] is not a valid dateTime; kept without abatement');

  const clinicalStatus = (statusCode(prop(r, 'clinicalStatus'), CLINICAL_STATUS_SYSTEM, CLINICAL) ?? 'unknown') as ConditionClinicalStatus;
  const verificationStatus = (verification ?? 'unknown') as ConditionVerificationStatus;
  const onsetTime = validOnset ? validOnset.time : null;
  const abatementTime = abatement && abatement !== 'invalid' ? abatement.time : null;
  const abatedByReference =
    (abatementTime !== null && !isAfterReference(env, abatementTime)) || prop(r, 'abatementBoolean') === true;

  let activeAtReference: ConditionEntry['activeAtReference'];
  if (abatedByReference) activeAtReference = 'no';
  else if (clinicalStatus === 'unknown') activeAtReference = 'unknown';
  else if (ACTIVE.has(clinicalStatus)) activeAtReference = 'yes';
  // Resolved now, but only after the reference time: it was active then (historical replay).
  else if (abatementTime !== null && (onsetTime === null || onsetTime <= env.referenceTime)) activeAtReference = 'yes';
  else activeAtReference = 'no';

  const categories: string[] = [];
  for (const cat of objects(r, 'category')) {
    const c = firstCode(cat, CATEGORY_SYSTEM) ?? objects(cat, 'coding').map((x) => text(x, 'code')).find((x) => x) ?? text(cat, 'text');
    if (c && !categories.includes(c)) categories.push(c);
  }

  return {
    source: item.source,
    codings: code.codings,
    text: code.text,
    categories,
    clinicalStatus,
    verificationStatus,
    tentative: verificationStatus === 'unconfirmed' || verificationStatus === 'provisional' || verificationStatus === 'differential',
    activeAtReference,
    onset: validOnset ? validOnset.raw : null,
    onsetTime,
    abatement: abatement && abatement !== 'invalid' ? abatement.raw : null,
    abatementTime,
    recordedDate: validRecorded ? validRecorded.raw : null,
    valueSets: env.valueSets.valueSetsContaining(code.codings),
  };
}
