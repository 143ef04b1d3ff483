/**
 * Medications from MedicationRequest and MedicationStatement, with RxNorm codings and status.
 * The medication may be inline (medicationCodeableConcept) or a reference to a Medication
 * (contained `#id`, or elsewhere in the input). entered-in-error is excluded; every other status
 * is kept as recorded, with `isActive` true only for `active`.
 */
import type { BuildEnv } from './env.js';
import { acceptTime } from './env.js';
import { SYSTEM, choiceTime, codedText, plainTime, prop, referenceString, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { CodedText, MedicationEntry } from './types.js';

export function summariseMedication(item: SourceItem, env: BuildEnv): MedicationEntry | undefined {
  const r = item.resource;
  const resourceType = item.resourceType as MedicationEntry['resourceType'];
  const status = text(r, 'status');
  if (status === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return undefined;
  }

  let medication: CodedText | undefined = codedText(prop(r, 'medicationCodeableConcept'));
  if (!medication) {
    const ref = referenceString(r, 'medicationReference');
    const target = ref ? env.resolve(ref, r) : undefined;
    medication = target ? codedText(prop(target, 'code')) : undefined;
    if (!medication) {
      const display = text(prop(r, 'medicationReference'), 'display');
      if (display) medication = { codings: [], text: display };
    }
  }
  if (!medication) {
    env.exclude(item.source, 'malformed-resource', 'no medication code, text or resolvable medicationReference');
    return undefined;
  }

  // When: authoredOn (request); effective[x], else dateAsserted (statement).
  const isRequest = resourceType === 'MedicationRequest';
  const when = isRequest ? plainTime(r, 'authoredOn') : (choiceTime(r, 'effective') ?? plainTime(r, 'dateAsserted'));
  let date: string | null = null;
  let time: number | null = null;
  if (when === 'invalid') {
    env.exclude(item.source, 'invalid-time', `${isRequest ? 'authoredOn' : 'effective time'} is not a valid dateTime; kept without date`);
  } else if (when !== undefined) {
    if (!acceptTime(env, item.source, isRequest ? 'authoredOn' : 'effective time', when)) return undefined;
    date = when.raw;
    time = when.time;
  }

  return {
    source: item.source,
    resourceType,
    status: status ?? 'unknown',
    isActive: status === 'active',
    intent: text(r, 'intent') ?? null,
    codings: medication.codings,
    text: medication.text,
    rxnormCodes: medication.codings.filter((c) => c.system === SYSTEM.rxnorm).map((c) => c.code),
    date,
    time,
    valueSets: env.valueSets.valueSetsContaining(medication.codings),
  };
}
