/**
 * Patient demographics at the reference time: age (years, or months below 2 years, days in the
 * first month), administrative sex, birth sex, deceased status.
 */
import type { BuildEnv } from './env.js';
import { isAfterReference } from './env.js';
import { objects, parseFhirDateTime, prop, str, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { AdministrativeSex, Age, PatientSummary } from './types.js';

const US_CORE_BIRTH_SEX = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex';

/**
 * Infants' ages are stated in months below 2 years: the convention of paediatric growth and
 * dosing references (e.g. WHO Child Growth Standards, 2006, tabulate 0–24 months by month).
 */
const MONTHS_BELOW_YEARS = 2;

/**
 * Above this age a birth date is taken for an error (a placeholder such as 1800-01-01, a typo in
 * the century), not a patient: the longest documented human life is 122 years (Jeanne Calment,
 * 1875-1997, validated by the Gerontology Research Group). The margin keeps a real record holder.
 */
const MAX_PLAUSIBLE_AGE_YEARS = 125;

export function summarisePatient(item: SourceItem, env: BuildEnv): PatientSummary {
  const r = item.resource;
  const gender = str(r, 'gender');
  const sex: AdministrativeSex = gender === 'male' || gender === 'female' || gender === 'other' ? gender : 'unknown';

  let birthSex: string | null = null;
  for (const ext of objects(r, 'extension')) {
    if (str(ext, 'url') === US_CORE_BIRTH_SEX) birthSex = text(ext, 'valueCode') ?? null;
  }

  // Deceased: deceasedBoolean or deceasedDateTime. A death recorded after the reference time did
  // not exist yet at that time (historical replay), so it is reported and not applied.
  let deceased: PatientSummary['deceased'] = { status: 'not-recorded', dateTime: null };
  let deathTime: number | undefined;
  const deceasedBoolean = prop(r, 'deceasedBoolean');
  const deceasedDateTime = prop(r, 'deceasedDateTime');
  if (deceasedBoolean === true) deceased = { status: 'deceased', dateTime: null };
  else if (deceasedBoolean === false) deceased = { status: 'alive', dateTime: null };
  else if (deceasedDateTime !== undefined) {
    const parsed = parseFhirDateTime(deceasedDateTime);
    if (!parsed) {
      env.exclude(item.source, 'invalid-time', 'deceasedDateTime is not a valid dateTime; patient recorded as deceased, date unknown');
      deceased = { status: 'deceased', dateTime: null };
    } else if (isAfterReference(env, parsed.time)) {
      env.exclude(item.source, 'after-reference-time', `deceasedDateTime ${String(deceasedDateTime)} is after the reference time`);
    } else {
      deceased = { status: 'deceased', dateTime: String(deceasedDateTime) };
      deathTime = parsed.time;
    }
  }

  const birthDateRaw = prop(r, 'birthDate');
  let birthDate: string | null = null;
  let age: Age | null = null;
  if (birthDateRaw !== undefined) {
    const parsed = parseFhirDateTime(birthDateRaw);
    if (!parsed || typeof birthDateRaw !== 'string') {
      env.exclude(item.source, 'invalid-time', 'birthDate is not a valid FHIR date; age unknown');
    } else if (parsed.time > env.referenceTime) {
      env.exclude(item.source, 'invalid-time', `birthDate ${birthDateRaw} is after the reference time; age unknown`);
    } else {
      const at = deathTime !== undefined && deathTime < env.referenceTime ? deathTime : env.referenceTime;
      const computed = ageBetween(parsed.time, at, parsed.precision === 'year' || parsed.precision === 'month');
      if (computed.years > MAX_PLAUSIBLE_AGE_YEARS) {
        env.exclude(item.source, 'implausible-value', `birthDate ${birthDateRaw} gives an age of ${computed.years} years, beyond any documented human life; age unknown`);
      } else {
        birthDate = birthDateRaw;
        age = computed;
      }
    }
  }

  return { id: item.id ?? null, source: item.source, birthDate, age, sex, birthSex, deceased };
}

/** Calendar age from `birth` to `at` (both epoch ms, UTC calendar). */
export function ageBetween(birth: number, at: number, approximate: boolean): Age {
  const b = new Date(birth);
  const a = new Date(at);
  let months = (a.getUTCFullYear() - b.getUTCFullYear()) * 12 + (a.getUTCMonth() - b.getUTCMonth());
  if (a.getUTCDate() < b.getUTCDate()) months -= 1;
  months = Math.max(0, months);
  const years = Math.floor(months / 12);
  const days = Math.max(0, Math.floor((at - birth) / 86_400_000));
  let display: string;
  let preferredUnit: Age['preferredUnit'];
  if (years >= MONTHS_BELOW_YEARS) {
    preferredUnit = 'years';
    display = `${years} years`;
  } else if (months >= 1) {
    preferredUnit = 'months';
    display = `${months} month${months === 1 ? '' : 's'}`;
  } else {
    preferredUnit = 'days';
    display = `${days} day${days === 1 ? '' : 's'}`;
  }
  return { years, months, days, preferredUnit, display, approximate };
}
