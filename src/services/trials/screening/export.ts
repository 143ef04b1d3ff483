/**
 * A screening's results as files a coordinator takes elsewhere (pure; the route pages through the
 * results and streams what these return):
 *
 *   csv                one row per screened patient: category, criterion counts, the criteria that
 *                      decided the category and those still unknown (RFC 4180, CRLF, UTF-8 with a
 *                      byte order mark so that spreadsheet programs read "≥" as written);
 *   group              a FHIR R4 Group (actual, person) of the eligible patients, to keep as a
 *                      worklist on the EHR's FHIR server;
 *   research-subjects  a FHIR R4 transaction Bundle: one ResearchSubject (status candidate) per
 *                      eligible patient, pointing at the trial's ResearchStudy, which the same
 *                      transaction creates unless the server already holds one with the NCT id;
 *                      each subject, too, is created only once per screening and patient
 *                      (conditional creates), so importing the file twice changes nothing.
 *
 * "Eligible" is the screening's category: no exclusion met and no inclusion failed on documented
 * evidence, and something the trial studies met ("may fit"). Nothing here judges anew: counts and
 * deciding criteria come from the stored criterion table through the same summary that chose
 * the category (rank.ts summariseCriteria), so the file agrees with the screen.
 */
import type { Bundle, BundleEntry, Group, ResearchStudy, ResearchSubject } from 'fhir/r4.js';
import { summariseCriteria, type CriterionCounts } from '../matching/rank.js';
import { NCT_SYSTEM } from '../matching/trial-record.js';
import type { CriterionRow } from './result.js';
import type { PatientResult, Screening } from './store.js';

export const EXPORT_FORMATS = ['csv', 'group', 'research-subjects'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

// ---------------------------------------------------------------------------------------------
// CSV

export const CSV_COLUMNS = [
  'patient',
  'status',
  'category',
  'inclusion met',
  'inclusion not met',
  'inclusion unknown',
  'exclusion met',
  'exclusion not met',
  'exclusion unknown',
  'deciding criteria',
  'unknown criteria',
  'summary',
  'error',
] as const;

/** Lets spreadsheet programs open the file as UTF-8 (Excel reads a CSV without it as the local code page). */
export const CSV_BOM = '\uFEFF';
const EOL = '\r\n';

/**
 * One CSV field (RFC 4180 §2): quoted when it holds a quote, comma or line break, quotes doubled.
 * Text that a spreadsheet would run as a formula (=, +, -, @, tab or CR first: OWASP "CSV
 * injection") is prefixed with an apostrophe; criterion text and reasons come from trial records
 * and notes, which Cairn does not control.
 */
export function csvField(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: ReadonlyArray<string | number | undefined | null>): string {
  return fields.map(csvField).join(',') + EOL;
}

/** The header line, with the byte order mark that starts the file. */
export function csvHeader(): string {
  return CSV_BOM + csvLine(CSV_COLUMNS);
}

const asJudged = (rows: readonly CriterionRow[]) => rows.map((r) => ({ ...r, index: r.number - 1 }));

const describe = (c: CriterionRow) => `#${c.number} ${c.kind} ${c.status}: ${c.reason}`;

/**
 * What the category rests on, as the summary counts it (alternatives as one criterion,
 * administrative criteria left out): the criteria that exclude the patient, or, for an eligible
 * one, the documented inclusion criteria about what the trial studies; and the criteria still
 * unknown, the coordinator's list to check.
 */
export function criteriaSummary(criteria: readonly CriterionRow[]): { inclusion: CriterionCounts; exclusion: CriterionCounts; deciding: CriterionRow[]; unknown: CriterionRow[] } {
  const summary = summariseCriteria(asJudged(criteria));
  return {
    inclusion: summary.inclusion,
    exclusion: summary.exclusion,
    deciding: summary.decisive.length > 0 ? summary.decisive : summary.topicalMet,
    unknown: summary.unknown,
  };
}

/** One patient's CSV line; a patient not (yet) screened has a status and no counts. */
export function csvResultLine(result: Pick<PatientResult, 'patientId' | 'status' | 'category' | 'criteria' | 'summary' | 'error'>): string {
  const base = [`Patient/${result.patientId}`, result.status, result.category];
  if (result.status !== 'done' || !result.criteria) return csvLine([...base, ...Array(CSV_COLUMNS.length - base.length - 1).fill(undefined), result.error]);
  const { inclusion: inc, exclusion: exc, deciding, unknown } = criteriaSummary(result.criteria);
  return csvLine([
    ...base,
    inc.met,
    inc.notMet,
    inc.unknown,
    exc.met,
    exc.notMet,
    exc.unknown,
    deciding.map(describe).join(' | '),
    unknown.map((c) => `#${c.number}`).join(' '),
    result.summary,
    result.error,
  ]);
}

// ---------------------------------------------------------------------------------------------
// FHIR

export type ExportedScreening = Pick<Screening, 'id' | 'nctId' | 'status' | 'createdAt'>;

/** Names the screening a resource came from: its id as a URI. */
const SCREENING_ID_SYSTEM = 'urn:ietf:rfc:3986';

export function screeningIdentifier(screening: Pick<Screening, 'id'>) {
  return { system: SCREENING_ID_SYSTEM, value: `urn:uuid:${screening.id}` };
}

function provenanceText(screening: ExportedScreening, count: number): string {
  const state = screening.status === 'completed' ? 'completed' : `${screening.status}: patients screened so far only`;
  return `${count} patient${count === 1 ? '' : 's'} Cairn's screening ${screening.id} of ${screening.createdAt.toISOString()} (${state}) found may fit ${screening.nctId}; their unknown criteria are to be checked.`;
}

/** The eligible patients of a screening as an actual Group of persons (a worklist). */
export function candidatesGroup(input: { screening: ExportedScreening; trialTitle?: string; patientIds: readonly string[] }): Group {
  const { screening, patientIds } = input;
  return {
    resourceType: 'Group',
    identifier: [screeningIdentifier(screening)],
    active: true,
    type: 'person',
    actual: true,
    name: `Candidates for ${screening.nctId}${input.trialTitle ? `: ${input.trialTitle}` : ''}`.slice(0, 500),
    quantity: patientIds.length,
    ...(patientIds.length > 0 && { member: patientIds.map((id) => ({ entity: { reference: `Patient/${id}` } })) }),
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXml(provenanceText(screening, patientIds.length))}</div>` },
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The trial's ResearchStudy as a transaction entry that creates it only where the server has
 * none with the NCT id (a conditional create): Cairn's own copy (from the trial store) without
 * its server-assigned id and meta.
 */
function studyEntry(fullUrl: string, study: ResearchStudy, nctId: string): BundleEntry {
  const { id: _id, meta: _meta, ...content } = study;
  return { fullUrl, resource: content, request: { method: 'POST', url: 'ResearchStudy', ifNoneExist: `identifier=${encodeURIComponent(`${NCT_SYSTEM}|${nctId}`)}` } };
}

/**
 * A transaction Bundle of one ResearchSubject (candidate) per eligible patient. The study is the
 * trial's ResearchStudy, by the NCT id: created in the same transaction from `study` when given
 * (each subject then points at its fullUrl), else referred to by identifier alone.
 */
export function researchSubjectsBundle(input: { screening: ExportedScreening; study?: ResearchStudy; trialTitle?: string; patientIds: readonly string[]; newUuid: () => string }): Bundle {
  const { screening, patientIds, newUuid } = input;
  const identifier = { system: NCT_SYSTEM, value: screening.nctId };
  const title = input.trialTitle ?? input.study?.title;
  // No candidates, nothing to create: not even the study.
  if (patientIds.length === 0) return { resourceType: 'Bundle', type: 'transaction' };
  const studyUrl = input.study ? `urn:uuid:${newUuid()}` : undefined;
  const study = { ...(studyUrl && { reference: studyUrl }), type: 'ResearchStudy', identifier, ...(title && { display: title }) };
  const subjects: BundleEntry[] = patientIds.map((id) => {
    const subject: ResearchSubject = {
      resourceType: 'ResearchSubject',
      identifier: [screeningIdentifier(screening)],
      status: 'candidate',
      study,
      individual: { reference: `Patient/${id}` },
    };
    // Importing the same export twice creates no second subject: one per screening and patient.
    const ifNoneExist = `identifier=${encodeURIComponent(`${SCREENING_ID_SYSTEM}|urn:uuid:${screening.id}`)}&patient=${encodeURIComponent(`Patient/${id}`)}`;
    return { fullUrl: `urn:uuid:${newUuid()}`, resource: subject, request: { method: 'POST', url: 'ResearchSubject', ifNoneExist } };
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [...(input.study && studyUrl ? [studyEntry(studyUrl, input.study, screening.nctId)] : []), ...subjects],
  };
}

/** The file name a download is saved under: the trial, the screening's first characters and the format. */
export function exportFilename(screening: Pick<Screening, 'id' | 'nctId'>, format: ExportFormat): string {
  const stem = `${screening.nctId}-screening-${screening.id.slice(0, 8)}`;
  switch (format) {
    case 'csv':
      return `${stem}.csv`;
    case 'group':
      return `${stem}-candidates-group.json`;
    case 'research-subjects':
      return `${stem}-research-subjects-bundle.json`;
  }
}
