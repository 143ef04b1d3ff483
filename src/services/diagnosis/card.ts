import { formatTime, readingText } from '../../cards/evidence.js';
import { overrideReasons } from '../../cards/override-reasons.js';
import { bulletList, escapeInline } from '../../cards/markdown.js';
import { distinctPassages, passagesExtension, type QuotedPassage } from '../../cards/passages.js';
import { cardProvenance, provenanceActions, provenanceExtension } from '../../cards/provenance.js';
import { shortDetail, shortSummary, smartLink } from '../../cards/short-card.js';
import type { Card } from '../../hooks/schema.js';
import { DIAGNOSIS_RULES } from './evaluate.js';
import type { Finding } from './finding.js';
import { criterionQuery } from './guideline-basis.js';
import type { RecordCheck } from './known.js';

/**
 * A diagnosis card: a guideline-defined finding the problem list does not show. Everything is
 * computed from the finding (values, dates, units) or quoted from the guideline; nothing is
 * written for the occasion. A short card (src/cards/short-card.ts): the finding, the readings it
 * rests on and one quotation, preferably of the guideline's criterion; both passages are in the
 * card's `cairn-passages`. Pure.
 */
/** The card extension key of the finding: a fixed `cairn-` name, like every card extension key (see passages.ts). */
export const DIAGNOSIS_EXTENSION = 'cairn-diagnosis';

export interface DiagnosisCardOptions {
  patientId: string;
  indicator: 'warning' | 'info';
  now: string;
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL): the card links to it when set. */
  smartAppUrl?: string;
}

export function diagnosisCard(
  finding: Finding,
  record: RecordCheck,
  basis: { criterion?: QuotedPassage; nextStep?: QuotedPassage },
  options: DiagnosisCardOptions,
): Card | undefined {
  // A card rests on the guideline's own words: without the criterion passage, no card.
  if (finding.status !== 'met' || !basis.criterion) return undefined;
  if (record.status === 'recorded-same-stage') return undefined;
  const passages = distinctPassages([basis.criterion, basis.nextStep]);
  const name = `${finding.title}${finding.stage ? `, ${finding.stage}` : ''}`;
  // A title that already hedges ("Suspected sepsis") is not hedged twice.
  const hedged = /^suspected\b/i.test(finding.title) ? name : `Possible ${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  const lead = record.status === 'recorded-different-stage' ? `${name} (recorded: ${record.recordedStage ?? 'another stage'})` : hedged;
  const url = passages.find((p) => p.url)?.url;
  const rule = DIAGNOSIS_RULES[finding.condition];
  const provenance = cardProvenance(rule, passages);
  const links = [
    ...smartLink(options.smartAppUrl, { service: 'diagnosis', rule: rule.id, condition: finding.condition, ...(finding.stage && { stage: finding.stage }) }),
    ...(url ? [{ label: 'Source guideline', url, type: 'absolute' as const }] : []),
  ];
  return {
    summary: summaryLine(lead, finding.summary),
    indicator: options.indicator,
    detail: detail(finding, record, passages),
    source: { label: 'Cairn diagnosis (guideline criteria)', ...(url && { url }) },
    selectionBehavior: 'at-most-one',
    suggestions: [
      {
        label: `Add "${finding.code.snomed.display}" to the problem list (provisional)`,
        isRecommended: false,
        actions: provenanceActions(
          [{ type: 'create', description: `Provisional problem-list entry: ${finding.title}`, resource: conditionResource(finding, options) }],
          provenance,
          options.now,
        ),
      },
    ],
    overrideReasons: overrideReasons('managedElsewhere', 'measurementError', 'patientDeclined', 'notClinicallyRelevant'),
    ...(links.length > 0 && { links }),
    extension: {
      ...passagesExtension(passages),
      // The readings the finding rests on (UCUM units, FHIR references): the detail shows them in short.
      [DIAGNOSIS_EXTENSION]: { condition: finding.condition, stage: finding.stage, recordStatus: record.status, evidence: evidenceExtension(finding) },
      ...provenanceExtension(provenance),
    },
  };
}

function detail(f: Finding, record: RecordCheck, passages: readonly QuotedPassage[]): string {
  return shortDetail({
    facts: [
      `**${f.title}${f.stage ? ` (${f.stage})` : ''}**: ${f.summary}.`,
      // The reason and the notes may quote the record (a problem-list entry's text, a unit as recorded): escaped.
      `${f.criterion ? `Criterion met: ${f.criterion}. ` : ''}Problem list: ${escapeInline(record.reason)}.`,
      // The summary line already gives the decisive values and their dates; the reading-by-reading
      // list goes first when the guideline's criterion would not fit beside it (the app shows it).
      { optional: findingReadings(f) ?? '' },
      // A paragraph, not a second list: two lists a blank line apart render as one.
      f.notes.length > 0 && `**Notes**: ${f.notes.map(escapeInline).join('; ')}.`,
    ],
    passages,
    // The criterion's passage (a card has one, and distinctPassages keeps it first) before the next step's.
    preferred: 1,
    relevance: criterionQuery(f),
  }).detail;
}

/**
 * The readings and computed values a finding rests on, as a list: the readings of one time on one
 * line ("2026-08-02 08:55 UTC: Systolic blood pressure 146 mmHg, Diastolic blood pressure 92
 * mmHg"), what each was used as when that is not plain use ("abnormal", "baseline"), computed
 * values marked so.
 */
export function findingReadings(f: Finding): string | undefined {
  const dated = new Map<string, string[]>();
  const undated: string[] = [];
  for (const e of f.evidence) {
    const use = e.kind === 'computed' ? 'computed' : e.note;
    const text = `${readingText({ label: e.label, value: e.value, ...(e.unit && { unit: e.unit }), ...(e.recorded && { recorded: e.recorded }) })}${use ? ` (${use})` : ''}`;
    if (e.date) {
      const when = formatTime(e.date);
      dated.set(when, [...(dated.get(when) ?? []), text]);
    } else {
      undated.push(text);
    }
  }
  const items = [...[...dated].map(([when, texts]) => `${when}: ${texts.join(', ')}`), ...undated];
  return items.length > 0 ? bulletList(items) : undefined;
}

/** The finding's evidence rows as JSON for the card's extension: a field with no value is left out (CDS Hooks validators refuse null). */
function evidenceExtension(f: Finding): Array<Record<string, unknown>> {
  return f.evidence.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null && v !== undefined)));
}

/** The suggested problem-list entry: provisional, with the readings it rests on as evidence. */
function conditionResource(f: Finding, options: DiagnosisCardOptions) {
  const sources = [...new Set(f.evidence.map((e) => e.source).filter((s): s is string => !!s))];
  return {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'provisional' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
    code: { coding: [f.code.snomed, ...(f.code.icd10 ? [f.code.icd10] : [])], text: f.title },
    subject: { reference: `Patient/${options.patientId}` },
    recordedDate: options.now,
    ...(sources.length > 0 && { evidence: [{ detail: sources.map((reference) => ({ reference })) }] }),
  };
}

/** Under 140 characters (CDS Hooks); never cuts a computed figure in half: the values are in the detail. */
function summaryLine(lead: string, computed: string): string {
  const full = `${lead}: ${computed}`;
  return full === shortSummary(full) ? full : shortSummary(lead);
}
