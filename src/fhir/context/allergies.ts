/**
 * AllergyIntolerance entries. entered-in-error and refuted are excluded; unconfirmed is kept and
 * visible through `verificationStatus`. A missing clinicalStatus is `unknown`, not active.
 */
import type { BuildEnv } from './env.js';
import { codedText, firstCode, objects, plainTime, prop, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { AllergyEntry } from './types.js';

const CLINICAL_SYSTEM = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const VERIFICATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

export function summariseAllergy(item: SourceItem, env: BuildEnv): AllergyEntry | undefined {
  const r = item.resource;
  const verification = firstCode(prop(r, 'verificationStatus'), VERIFICATION_SYSTEM);
  if (verification === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return undefined;
  }
  if (verification === 'refuted') {
    env.exclude(item.source, 'refuted', text(prop(r, 'code'), 'text'));
    return undefined;
  }
  const code = codedText(prop(r, 'code'));
  if (!code) {
    env.exclude(item.source, 'malformed-resource', 'AllergyIntolerance has no code or text');
    return undefined;
  }
  const clinical = firstCode(prop(r, 'clinicalStatus'), CLINICAL_SYSTEM);
  const recorded = plainTime(r, 'recordedDate');
  return {
    source: item.source,
    codings: code.codings,
    text: code.text,
    clinicalStatus: clinical === 'active' || clinical === 'inactive' || clinical === 'resolved' ? clinical : 'unknown',
    verificationStatus: verification === 'confirmed' || verification === 'unconfirmed' ? verification : 'unknown',
    type: text(r, 'type') ?? null,
    categories: stringList(prop(r, 'category')),
    criticality: text(r, 'criticality') ?? null,
    recordedDate: recorded && recorded !== 'invalid' ? recorded.raw : null,
    reactions: objects(r, 'reaction').map((reaction) => ({
      manifestations: objects(reaction, 'manifestation')
        .map((m) => codedText(m))
        .map((m) => m?.text ?? m?.codings[0]?.display ?? m?.codings[0]?.code)
        .filter((m): m is string => typeof m === 'string'),
      severity: text(reaction, 'severity') ?? null,
    })),
  };
}

/** AllergyIntolerance.category is an array of codes (strings). */
function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
