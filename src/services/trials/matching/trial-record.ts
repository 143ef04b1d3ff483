/**
 * Trial records in, FHIR R4 ResearchStudy and parsed criteria out.
 *
 * Inputs (detected per record):
 *   - ClinicalTrials.gov API v2 study JSON (`{ protocolSection: … }`), one study, an array, or an
 *     API page (`{ studies: [...] }`), in .json or as JSON lines;
 *   - the JSON lines of the TREC / SIGIR trial corpus (`corpus_judged_subset.jsonl`: nct_id,
 *     brief_title, conditions, eligibility_criteria_raw, inclusion_criteria, …);
 *   - Cairn's own ResearchStudy JSON (what `toResearchStudy` writes), so exported trials re-import.
 *
 * Every record becomes a `TrialRecord` (one normalised shape), then a ResearchStudy: NCT id as
 * identifier, title, conditions (coded where a Cairn value set covers them), phase, status,
 * sites, and the eligibility criteria both verbatim (an extension) and atomised (a contained
 * Group whose characteristics are the criteria, `exclude: true` for exclusion criteria).
 */
import { createHash } from 'node:crypto';
import type { Group, ResearchStudy } from 'fhir/r4.js';
import { extensionUrl, isCairnExtension } from '../../../canonical.js';
import { PARSER_VERSION, parseCriteria, parseCriterion, splitEligibility, type AgeRange, type ParsedCriterion } from './criteria-parse.js';
import { CONDITIONS, conditionMentions, conceptById, MEDICATIONS, TRIAL_ANALYTES, type Coding } from './lexicon.js';

export const NCT_SYSTEM = 'http://clinicaltrials.gov';
/**
 * Names of the ResearchStudy extensions Cairn writes, under its canonical base (src/canonical.ts).
 * The ResearchStudy is stored with each trial and may be exported and imported again, by a Cairn
 * with another base: it is read back by these names, whatever base it was written under.
 */
export const TRIAL_EXTENSIONS = {
  eligibility: 'eligibility-criteria',
  ctgovStatus: 'ctgov-overall-status',
  officialTitle: 'official-title',
  /** valueDate: ClinicalTrials.gov's "Last Update Posted" date of the record (TrialRecord.lastUpdatePosted). */
  lastUpdatePosted: 'ctgov-last-update-posted',
  /** valueDate: the date of the snapshot the record was read from, when the record says (TrialRecord.snapshotDate). */
  snapshotDate: 'ctgov-snapshot-date',
} as const;
const PHASE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/research-study-phase';

export type TrialSex = 'all' | 'female' | 'male';

/** One trial, whatever format it came in. */
export interface TrialRecord {
  nctId: string;
  title: string;
  officialTitle?: string;
  summary?: string;
  conditions: string[];
  keywords: string[];
  interventions: Array<{ type?: string; name: string }>;
  /** FHIR research-study-phase code (phase-2, phase-1-phase-2, n-a …). */
  phase?: string;
  /** ClinicalTrials.gov overall status, upper snake case (RECRUITING, COMPLETED …); UNKNOWN when absent. */
  overallStatus: string;
  studyType?: string;
  sex: TrialSex;
  minimumAge?: string;
  maximumAge?: string;
  healthyVolunteers?: boolean;
  /** Verbatim eligibility text (inclusion and exclusion together, as published). */
  eligibilityText: string;
  inclusionText: string;
  exclusionText: string;
  sites: Array<{ facility?: string; city?: string; state?: string; country?: string }>;
  /**
   * ClinicalTrials.gov's "Last Update Posted" date (YYYY-MM-DD): when the latest change to the
   * record was published. A record whose date did not change is the same record, so the
   * ClinicalTrials.gov importer skips it (ctgov/import.ts).
   */
  lastUpdatePosted?: string;
  /**
   * The date the record was read from ClinicalTrials.gov, when the record itself says
   * (YYYY-MM-DD): the processing date of a snapshot (the TREC/SIGIR corpus' `source`, an API v2
   * study's `derivedSection.miscInfoModule.versionHolder`). Its status is as of that date. The
   * importer's records do not carry it: their fetch time is stored beside them (trials.fetched_at),
   * so a refresh that finds a record unchanged rewrites nothing.
   */
  snapshotDate?: string;
  /** Where the record came from: 'ctgov-api-v2', 'trec-sigir-corpus:<source>', 'research-study'. */
  source: string;
}

export interface ImportedTrial {
  record: TrialRecord;
  criteria: ParsedCriterion[];
  researchStudy: ResearchStudy;
  /** Hash of the record and the parser version: unchanged → nothing to re-import. */
  contentHash: string;
  /** Title, conditions and keywords: what the trial is about. */
  focusText: string;
  /** Summary and inclusion criteria (exclusion text is left out on purpose, see store.ts). */
  searchText: string;
}

export class TrialImportError extends Error {
  override readonly name = 'TrialImportError';
}

// ---------------------------------------------------------------------------------------------
// Small readers over untyped JSON

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: unknown, key: string): string | undefined {
  if (!isObject(o)) return undefined;
  const v = o[key];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function obj(o: unknown, key: string): Json | undefined {
  if (!isObject(o)) return undefined;
  const v = o[key];
  return isObject(v) ? v : undefined;
}

function strings(o: unknown, key: string): string[] {
  if (!isObject(o)) return [];
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim().length > 0).map((x) => x.trim()) : [];
}

function objects(o: unknown, key: string): Json[] {
  if (!isObject(o)) return [];
  const v = o[key];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

const NCT = /^NCT\d{8}$/;

function requireNct(id: string | undefined, where: string): string {
  const nct = id?.trim().toUpperCase();
  if (!nct || !NCT.test(nct)) throw new TrialImportError(`${where}: no valid NCT id (NCT followed by 8 digits)`);
  return nct;
}

/** A calendar date as YYYY-MM-DD, when `raw` is one (ClinicalTrials.gov writes dates so); otherwise undefined. */
export function isoDate(raw: string | undefined): string | undefined {
  const m = raw ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim()) : null;
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === m[0] ? m[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Phases, statuses, sex

/** ClinicalTrials.gov phase words → FHIR research-study-phase codes. */
export function phaseCode(raw: string | readonly string[] | undefined): string | undefined {
  if (typeof raw === 'string' && /^\s*n\/?a\s*$/i.test(raw)) return 'n-a';
  const list = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split('/') : []).map((p) => p.trim().toUpperCase().replace(/[\s_]+/g, ''));
  const nums = new Set<string>();
  let early = false;
  for (const p of list) {
    if (!p) continue;
    if (p === 'NA' || p === 'N/A') return 'n-a';
    if (p.startsWith('EARLYPHASE1') || p === 'PHASE0') early = true;
    const m = /^PHASE(\d)$/.exec(p);
    if (m) nums.add(m[1] as string);
  }
  if (early) return 'early-phase-1';
  const sorted = [...nums].sort();
  if (sorted.length === 0) return undefined;
  if (sorted.length === 1) return `phase-${sorted[0]}`;
  return `phase-${sorted[0]}-phase-${sorted[sorted.length - 1]}`;
}

/** "Active, not recruiting" / "ACTIVE_NOT_RECRUITING" → ACTIVE_NOT_RECRUITING. */
export function normaliseStatus(raw: string | undefined): string {
  if (!raw) return 'UNKNOWN';
  const s = raw.trim().toUpperCase().replace(/[^A-Z]+/g, '_').replace(/^_+|_+$/g, '');
  return s === 'UNKNOWN_STATUS' ? 'UNKNOWN' : s || 'UNKNOWN';
}

/**
 * ClinicalTrials.gov overall status → ResearchStudy.status (R4 value set research-study-status,
 * required binding). A status that is not known to be recruiting never maps to `active`: only
 * RECRUITING and ENROLLING_BY_INVITATION do.
 */
export function fhirStatus(overallStatus: string): NonNullable<ResearchStudy['status']> {
  switch (overallStatus) {
    case 'RECRUITING':
    case 'ENROLLING_BY_INVITATION':
      return 'active';
    case 'NOT_YET_RECRUITING':
      return 'approved';
    case 'ACTIVE_NOT_RECRUITING':
      return 'closed-to-accrual';
    case 'SUSPENDED':
      return 'temporarily-closed-to-accrual';
    case 'COMPLETED':
      return 'completed';
    case 'TERMINATED':
      return 'administratively-completed';
    case 'WITHDRAWN':
      return 'withdrawn';
    default:
      // UNKNOWN (not verified for two years), APPROVED_FOR_MARKETING, AVAILABLE, …: not known to enrol.
      return 'closed-to-accrual';
  }
}

/** Statuses under which a trial may take new participants. */
export const RECRUITING_STATUSES: readonly string[] = ['RECRUITING', 'NOT_YET_RECRUITING', 'ENROLLING_BY_INVITATION'];

function trialSex(raw: string | undefined): TrialSex {
  const s = raw?.trim().toLowerCase();
  return s === 'female' ? 'female' : s === 'male' ? 'male' : 'all';
}

/** "18 Years" → 18; "6 Months" → 0.5; "N/A" → undefined. */
export function ageInYears(raw: string | undefined): number | undefined {
  const m = raw ? /^(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?$/i.exec(raw.trim()) : null;
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = (m[2] as string).toLowerCase();
  const years = unit === 'year' ? v : unit === 'month' ? v / 12 : unit === 'week' ? (v * 7) / 365.25 : unit === 'day' ? v / 365.25 : v / (365.25 * 24 * (unit === 'minute' ? 60 : 1));
  return Number(years.toFixed(4));
}

// ---------------------------------------------------------------------------------------------
// Format readers

/**
 * What `fromCtgovV2` reads of a study, as API v2 field paths: the importer asks for these only
 * (its `fields` parameter), so keep the two in step. `derivedSection.miscInfoModule.versionHolder`
 * is read when present (a saved file) but not asked for: it changes with every daily data
 * version, and would make every unchanged study look changed.
 */
export const CTGOV_V2_FIELDS: readonly string[] = [
  'protocolSection.identificationModule.nctId',
  'protocolSection.identificationModule.briefTitle',
  'protocolSection.identificationModule.officialTitle',
  'protocolSection.statusModule.overallStatus',
  'protocolSection.statusModule.lastUpdatePostDateStruct',
  'protocolSection.conditionsModule.conditions',
  'protocolSection.conditionsModule.keywords',
  'protocolSection.designModule.phases',
  'protocolSection.designModule.studyType',
  'protocolSection.descriptionModule.briefSummary',
  'protocolSection.eligibilityModule',
  'protocolSection.armsInterventionsModule.interventions',
  'protocolSection.contactsLocationsModule.locations',
];

/** A ClinicalTrials.gov API v2 study (`protocolSection` …). */
export function fromCtgovV2(study: unknown, where = 'study'): TrialRecord {
  const p = obj(study, 'protocolSection');
  if (!p) throw new TrialImportError(`${where}: not a ClinicalTrials.gov API v2 study (no protocolSection)`);
  const id = obj(p, 'identificationModule');
  const nctId = requireNct(str(id, 'nctId'), where);
  const status = obj(p, 'statusModule');
  const conds = obj(p, 'conditionsModule');
  const design = obj(p, 'designModule');
  const desc = obj(p, 'descriptionModule');
  const elig = obj(p, 'eligibilityModule');
  const arms = obj(p, 'armsInterventionsModule');
  const locs = obj(p, 'contactsLocationsModule');
  const eligibilityText = str(elig, 'eligibilityCriteria') ?? '';
  const sections = splitEligibility(eligibilityText);
  const hv = isObject(elig) ? elig.healthyVolunteers : undefined;
  const lastUpdatePosted = isoDate(str(obj(status, 'lastUpdatePostDateStruct'), 'date'));
  const snapshotDate = isoDate(str(obj(obj(study, 'derivedSection'), 'miscInfoModule'), 'versionHolder'));
  return {
    nctId,
    title: str(id, 'briefTitle') ?? str(id, 'officialTitle') ?? nctId,
    ...(str(id, 'officialTitle') !== undefined && { officialTitle: str(id, 'officialTitle') as string }),
    ...(str(desc, 'briefSummary') !== undefined && { summary: str(desc, 'briefSummary') as string }),
    conditions: strings(conds, 'conditions'),
    keywords: strings(conds, 'keywords'),
    interventions: objects(arms, 'interventions')
      .map((i) => ({ ...(str(i, 'type') !== undefined && { type: str(i, 'type') as string }), name: str(i, 'name') ?? '' }))
      .filter((i) => i.name),
    ...(phaseCode(strings(design, 'phases')) !== undefined && { phase: phaseCode(strings(design, 'phases')) as string }),
    overallStatus: normaliseStatus(str(status, 'overallStatus')),
    ...(str(design, 'studyType') !== undefined && { studyType: str(design, 'studyType') as string }),
    sex: trialSex(str(elig, 'sex')),
    ...(str(elig, 'minimumAge') !== undefined && { minimumAge: str(elig, 'minimumAge') as string }),
    ...(str(elig, 'maximumAge') !== undefined && { maximumAge: str(elig, 'maximumAge') as string }),
    ...(typeof hv === 'boolean' && { healthyVolunteers: hv }),
    eligibilityText,
    inclusionText: sections.inclusion,
    exclusionText: sections.exclusion,
    sites: objects(locs, 'locations').map((l) => ({
      ...(str(l, 'facility') !== undefined && { facility: str(l, 'facility') as string }),
      ...(str(l, 'city') !== undefined && { city: str(l, 'city') as string }),
      ...(str(l, 'state') !== undefined && { state: str(l, 'state') as string }),
      ...(str(l, 'country') !== undefined && { country: str(l, 'country') as string }),
    })),
    ...(lastUpdatePosted !== undefined && { lastUpdatePosted }),
    ...(snapshotDate !== undefined && { snapshotDate }),
    source: 'ctgov-api-v2',
  };
}

/**
 * A record of the TREC / SIGIR corpus. The unsplit text is preferred (and split here, on an
 * Exclusion heading at the start of a line): the corpus' own split took the first "Exclusion
 * criteria" words anywhere, which sometimes fall mid-sentence.
 */
export function fromCorpusRecord(r: unknown, where = 'record'): TrialRecord {
  if (!isObject(r)) throw new TrialImportError(`${where}: not a JSON object`);
  const nctId = requireNct(str(r, 'nct_id'), where);
  const raw = str(r, 'eligibility_criteria_raw') ?? '';
  const sections = raw
    ? splitEligibility(raw)
    : { inclusion: (str(r, 'inclusion_criteria') ?? '').replace(/^\s*inclusion criteria\s*:?/i, ''), exclusion: str(r, 'exclusion_criteria') ?? '' };
  const eligibilityText =
    raw || [sections.inclusion && `Inclusion Criteria:\n${sections.inclusion}`, sections.exclusion && `Exclusion Criteria:\n${sections.exclusion.replace(/^\s*:\s*/, '')}`].filter(Boolean).join('\n\n');
  const hv = str(r, 'healthy_volunteers')?.toLowerCase();
  const official = str(r, 'official_title');
  const summary = str(r, 'brief_summary');
  const phase = phaseCode(str(r, 'phase'));
  const studyType = str(r, 'study_type');
  const minimumAge = str(r, 'minimum_age');
  const maximumAge = str(r, 'maximum_age');
  // The corpus names the ClinicalTrials.gov export it was parsed from: "ctgov_xml_2023-02-03".
  const snapshotDate = isoDate(/(\d{4}-\d{2}-\d{2})$/.exec(str(r, 'source') ?? '')?.[1]);
  const lastUpdatePosted = isoDate(str(r, 'last_update_posted'));
  return {
    nctId,
    title: str(r, 'brief_title') ?? official ?? nctId,
    ...(official !== undefined && { officialTitle: official }),
    ...(summary !== undefined && { summary: summary.replace(/\s*\n\s*/g, ' ') }),
    conditions: strings(r, 'conditions'),
    keywords: strings(r, 'keywords'),
    interventions: objects(r, 'interventions')
      .map((i) => ({ ...(str(i, 'type') !== undefined && { type: str(i, 'type') as string }), name: str(i, 'name') ?? '' }))
      .filter((i) => i.name),
    ...(phase !== undefined && { phase }),
    overallStatus: normaliseStatus(str(r, 'overall_status')),
    ...(studyType !== undefined && { studyType }),
    sex: trialSex(str(r, 'gender')),
    ...(minimumAge !== undefined && minimumAge !== 'N/A' && { minimumAge }),
    ...(maximumAge !== undefined && maximumAge !== 'N/A' && { maximumAge }),
    ...(hv === 'yes' || hv === 'accepts healthy volunteers' ? { healthyVolunteers: true } : hv === 'no' ? { healthyVolunteers: false } : {}),
    eligibilityText,
    inclusionText: sections.inclusion,
    exclusionText: sections.exclusion,
    sites: [],
    ...(lastUpdatePosted !== undefined && { lastUpdatePosted }),
    ...(snapshotDate !== undefined && { snapshotDate }),
    source: `trec-sigir-corpus:${str(r, 'source') ?? 'unknown'}`,
  };
}

/** Cairn's own ResearchStudy (as written by toResearchStudy): the record is rebuilt from it. */
export function fromResearchStudy(rs: unknown, where = 'ResearchStudy'): TrialRecord {
  if (!isObject(rs) || rs.resourceType !== 'ResearchStudy') throw new TrialImportError(`${where}: not a ResearchStudy`);
  const nctId = requireNct(objects(rs, 'identifier').find((i) => str(i, 'system') === NCT_SYSTEM)?.value as string | undefined, where);
  const extension = (name: string) => objects(rs, 'extension').find((e) => isCairnExtension(str(e, 'url'), name));
  const eligibilityText = (extension(TRIAL_EXTENSIONS.eligibility)?.valueMarkdown as string | undefined) ?? '';
  const sections = splitEligibility(eligibilityText);
  const ctgov = extension(TRIAL_EXTENSIONS.ctgovStatus)?.valueCode as string | undefined;
  const group = objects(rs, 'contained').find((c) => c.resourceType === 'Group');
  let sex: TrialSex = 'all';
  let minimumAge: string | undefined;
  let maximumAge: string | undefined;
  for (const ch of objects(group, 'characteristic')) {
    const code = objects(obj(ch, 'code'), 'coding')[0];
    if (str(code, 'code') === SEX_LOINC) sex = trialSex(str(objects(obj(ch, 'valueCodeableConcept'), 'coding')[0], 'code'));
    if (str(code, 'code') === AGE_LOINC) {
      const range = obj(ch, 'valueRange');
      const low = obj(range, 'low');
      const high = obj(range, 'high');
      if (low && typeof low.value === 'number') minimumAge = `${low.value} ${unitWord(str(low, 'code'))}`;
      if (high && typeof high.value === 'number') maximumAge = `${high.value} ${unitWord(str(high, 'code'))}`;
    }
  }
  const phase = str(objects(obj(rs, 'phase'), 'coding')[0], 'code');
  const summary = str(rs, 'description');
  const officialTitle = extension(TRIAL_EXTENSIONS.officialTitle)?.valueString as string | undefined;
  const lastUpdatePosted = isoDate(extension(TRIAL_EXTENSIONS.lastUpdatePosted)?.valueDate as string | undefined);
  const snapshotDate = isoDate(extension(TRIAL_EXTENSIONS.snapshotDate)?.valueDate as string | undefined);
  return {
    nctId,
    title: str(rs, 'title') ?? nctId,
    ...(officialTitle !== undefined && { officialTitle }),
    ...(summary !== undefined && { summary }),
    conditions: objects(rs, 'condition').map((c) => str(c, 'text') ?? str(objects(c, 'coding')[0], 'display') ?? '').filter(Boolean),
    keywords: objects(rs, 'keyword').map((k) => str(k, 'text') ?? '').filter(Boolean),
    interventions: [],
    ...(phase !== undefined && { phase }),
    overallStatus: ctgov ? normaliseStatus(ctgov) : 'UNKNOWN',
    sex,
    ...(minimumAge !== undefined && { minimumAge }),
    ...(maximumAge !== undefined && { maximumAge }),
    eligibilityText,
    inclusionText: sections.inclusion,
    exclusionText: sections.exclusion,
    sites: objects(rs, 'site').map((s) => ({ facility: str(s, 'display') ?? '' })).filter((s) => s.facility),
    ...(lastUpdatePosted !== undefined && { lastUpdatePosted }),
    ...(snapshotDate !== undefined && { snapshotDate }),
    source: 'research-study',
  };
}

function unitWord(ucum: string | undefined): string {
  return ucum === 'mo' ? 'Months' : ucum === 'wk' ? 'Weeks' : ucum === 'd' ? 'Days' : 'Years';
}

/** Reads one JSON value of any supported shape into records. */
export function recordsFromJson(value: unknown, where: string): TrialRecord[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => recordsFromJson(v, `${where}[${i}]`));
  if (!isObject(value)) throw new TrialImportError(`${where}: not a JSON object`);
  if (Array.isArray(value.studies)) return value.studies.flatMap((v, i) => recordsFromJson(v, `${where}.studies[${i}]`));
  if (value.resourceType === 'Bundle') {
    return objects(value, 'entry')
      .map((e) => e.resource)
      .filter((r) => isObject(r) && r.resourceType === 'ResearchStudy')
      .map((r, i) => fromResearchStudy(r, `${where}.entry[${i}]`));
  }
  if (value.resourceType === 'ResearchStudy') return [fromResearchStudy(value, where)];
  if (isObject(value.protocolSection)) return [fromCtgovV2(value, where)];
  if (typeof value.nct_id === 'string') return [fromCorpusRecord(value, where)];
  throw new TrialImportError(`${where}: not a ClinicalTrials.gov v2 study, a corpus record or a ResearchStudy`);
}

/** Parses a file's text (.json or JSON lines) into records; errors name the file and line. */
export function parseTrialFile(text: string, file: string): TrialRecord[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (isJsonDocument(trimmed, file)) {
    try {
      return recordsFromJson(JSON.parse(trimmed) as unknown, file);
    } catch (err) {
      if (err instanceof TrialImportError) throw err;
      if (!/\.jsonl$/i.test(file) && trimmed.startsWith('[')) throw new TrialImportError(`${file}: invalid JSON: ${(err as Error).message}`);
      if (/\.json$/i.test(file)) throw new TrialImportError(`${file}: invalid JSON: ${(err as Error).message}`);
    }
  }
  return text.split('\n').flatMap((line, i) => parseTrialLine(line, i, file));
}

/**
 * Whether a file's text is read first as one JSON document (an array, or any .json file) rather
 * than as JSON lines (parseTrialFile; a .jsonl file that starts with "[" and is not one document
 * is then read as lines).
 */
export function isJsonDocument(text: string, file: string): boolean {
  const trimmed = text.trimStart();
  return trimmed.startsWith('[') || /\.json$/i.test(file);
}

/** The records of line `index` (0-based) of a JSON-lines file: none for a blank line. */
export function parseTrialLine(line: string, index: number, file: string): TrialRecord[] {
  if (!line.trim()) return [];
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new TrialImportError(`${file}:${index + 1}: invalid JSON: ${(err as Error).message}`);
  }
  return recordsFromJson(value, `${file}:${index + 1}`);
}

// ---------------------------------------------------------------------------------------------
// Record → criteria, ResearchStudy

const AGE_LOINC = '30525-0';
const SEX_LOINC = '46098-0';

/**
 * The criteria of a trial: its text criteria, plus the record's own age and sex limits and the
 * condition it studies as criteria of their own (origin 'structured-field' / 'conditions-field'),
 * so that what ClinicalTrials.gov states in fields is judged like what it states in text.
 */
export function trialCriteria(record: TrialRecord): ParsedCriterion[] {
  const out: ParsedCriterion[] = [];
  const min = ageInYears(record.minimumAge);
  const max = ageInYears(record.maximumAge);
  if (min !== undefined || max !== undefined) {
    const age: AgeRange = { ...(min !== undefined && { min }), ...(max !== undefined && { max }), minInclusive: true, maxInclusive: true };
    const text = `Age ${record.minimumAge ?? 'any'} to ${record.maximumAge ?? 'any'}`;
    out.push({ kind: 'inclusion', text, origin: 'structured-field', structure: { category: 'age', age, conditions: [], medications: [], labs: [], combinator: 'all', negated: false, terms: [], residual: [] } });
  }
  if (record.sex !== 'all') {
    out.push({
      kind: 'inclusion',
      text: `Sex: ${record.sex}`,
      origin: 'structured-field',
      structure: { category: 'sex', sex: record.sex, conditions: [], medications: [], labs: [], combinator: 'all', negated: false, terms: [], residual: [] },
    });
  }
  const studied = record.conditions.filter((c) => !/^(?:healthy|healthy volunteers?|normal volunteers?)$/i.test(c.trim()));
  if (studied.length > 0) {
    const parsed = parseCriterion({ kind: 'inclusion', text: `Has ${studied.join(' or ')}`, origin: 'conditions-field' });
    // The condition studied is a condition criterion even when the lexicon does not know its words.
    out.push({ ...parsed, text: `Condition studied: ${studied.join('; ')}`, structure: { ...parsed.structure, combinator: 'any', negated: false, category: 'condition' } });
  }
  out.push(...parseCriteria({ inclusion: record.inclusionText, exclusion: record.exclusionText }));
  return out;
}

function conditionConcept(text: string): { coding?: Coding; text: string } {
  const mention = conditionMentions(text, true).find((m) => !m.negativeForm);
  const concept = mention ? conceptById(mention.conceptId) : undefined;
  return concept?.coding ? { coding: concept.coding, text } : { text };
}

function ageQuantity(raw: string | undefined): { value: number; unit: string; system: string; code: string } | undefined {
  const m = raw ? /^(\d+(?:\.\d+)?)\s*(year|month|week|day)s?$/i.exec(raw.trim()) : null;
  if (!m) return undefined;
  const unit = (m[2] as string).toLowerCase();
  const code = unit === 'year' ? 'a' : unit === 'month' ? 'mo' : unit === 'week' ? 'wk' : 'd';
  return { value: Number(m[1]), unit: `${unit}s`, system: 'http://unitsofmeasure.org', code };
}

export function toResearchStudy(record: TrialRecord, criteria: readonly ParsedCriterion[]): ResearchStudy {
  const characteristics: NonNullable<Group['characteristic']> = [];
  const low = ageQuantity(record.minimumAge);
  const high = ageQuantity(record.maximumAge);
  if (low || high) {
    characteristics.push({
      code: { coding: [{ system: 'http://loinc.org', code: AGE_LOINC, display: 'Age' }] },
      valueRange: { ...(low && { low }), ...(high && { high }) },
      exclude: false,
    });
  }
  if (record.sex !== 'all') {
    characteristics.push({
      code: { coding: [{ system: 'http://loinc.org', code: SEX_LOINC, display: 'Sex' }] },
      valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/administrative-gender', code: record.sex }] },
      exclude: false,
    });
  }
  for (const c of criteria) {
    if (c.origin !== 'text') continue;
    characteristics.push({ code: { text: c.context ? `${c.context}: ${c.text}` : c.text }, valueBoolean: true, exclude: c.kind === 'exclusion' });
  }
  const sites = record.sites
    .map((s) => [s.facility, s.city, s.state, s.country].filter(Boolean).join(', '))
    .filter(Boolean)
    .map((display) => ({ display }));
  const study: ResearchStudy = {
    resourceType: 'ResearchStudy',
    id: record.nctId,
    meta: { source: record.source },
    extension: [
      ...(record.eligibilityText ? [{ url: extensionUrl(TRIAL_EXTENSIONS.eligibility), valueMarkdown: record.eligibilityText }] : []),
      { url: extensionUrl(TRIAL_EXTENSIONS.ctgovStatus), valueCode: record.overallStatus },
      ...(record.officialTitle ? [{ url: extensionUrl(TRIAL_EXTENSIONS.officialTitle), valueString: record.officialTitle }] : []),
      ...(record.lastUpdatePosted ? [{ url: extensionUrl(TRIAL_EXTENSIONS.lastUpdatePosted), valueDate: record.lastUpdatePosted }] : []),
      ...(record.snapshotDate ? [{ url: extensionUrl(TRIAL_EXTENSIONS.snapshotDate), valueDate: record.snapshotDate }] : []),
    ],
    identifier: [{ use: 'official', system: NCT_SYSTEM, value: record.nctId }],
    title: record.title,
    status: fhirStatus(record.overallStatus),
    ...(record.phase && { phase: { coding: [{ system: PHASE_SYSTEM, code: record.phase }] } }),
    ...(record.conditions.length > 0 && {
      condition: record.conditions.map((c) => {
        const concept = conditionConcept(c);
        return concept.coding ? { coding: [concept.coding], text: c } : { text: c };
      }),
    }),
    ...(record.keywords.length > 0 && { keyword: record.keywords.map((k) => ({ text: k })) }),
    ...(record.summary && { description: record.summary }),
    relatedArtifact: [{ type: 'documentation', label: 'ClinicalTrials.gov', url: `https://clinicaltrials.gov/study/${record.nctId}` }],
    ...(characteristics.length > 0 && {
      contained: [{ resourceType: 'Group', id: 'eligibility', type: 'person', actual: false, characteristic: characteristics }],
      enrollment: [{ reference: '#eligibility' }],
    }),
    ...(sites.length > 0 && { site: sites }),
  };
  return study;
}

/** Deterministic JSON (sorted keys): the content hash must not depend on key order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * What parsing depends on: the parser version and the vocabulary. A change to either changes
 * every content hash, so the next import re-parses every trial (criterion vectors whose text did
 * not change are kept).
 */
export const PARSER_FINGERPRINT = createHash('sha256')
  .update(stableJson({ version: PARSER_VERSION, conditions: CONDITIONS, medications: MEDICATIONS, analytes: TRIAL_ANALYTES }))
  .digest('hex')
  .slice(0, 16);

export function contentHashOf(record: TrialRecord): string {
  return createHash('sha256').update(`parser:${PARSER_FINGERPRINT}\n`).update(stableJson(record)).digest('hex');
}

/** Everything the store needs for one record. */
export function prepareTrial(record: TrialRecord): ImportedTrial {
  const criteria = trialCriteria(record);
  const focusText = [record.title, record.officialTitle, record.conditions.join('; '), record.keywords.join('; ')].filter(Boolean).join('\n');
  const searchText = [record.summary, record.inclusionText, record.interventions.map((i) => i.name).join('; ')].filter(Boolean).join('\n');
  return { record, criteria, researchStudy: toResearchStudy(record, criteria), contentHash: contentHashOf(record), focusText, searchText };
}
