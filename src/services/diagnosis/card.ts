import { evidenceTable } from '../../cards/evidence-table.js';
import { overrideReasons } from '../../cards/override-reasons.js';
import { blocks, bulletList } from '../../cards/markdown.js';
import { distinctPassages, passagesExtension, quotePassages, type QuotedPassage } from '../../cards/passages.js';
import { cardProvenance, provenanceActions, provenanceExtension } from '../../cards/provenance.js';
import type { Card } from '../../hooks/schema.js';
import { DIAGNOSIS_RULES } from './evaluate.js';
import type { Finding } from './finding.js';
import type { RecordCheck } from './known.js';

/**
 * A diagnosis card: a guideline-defined finding the problem list does not show. Everything is
 * computed from the finding (values, dates, units) or quoted from the guideline; nothing is
 * written for the occasion. Pure.
 */
/** The card extension key of the finding: a fixed `cairn-` name, like every card extension key (see passages.ts). */
export const DIAGNOSIS_EXTENSION = 'cairn-diagnosis';

export interface DiagnosisCardOptions {
  patientId: string;
  indicator: 'warning' | 'info';
  now: string;
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
  const provenance = cardProvenance(DIAGNOSIS_RULES[finding.condition], passages);
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
    ...(url && { links: [{ label: 'Source guideline', url, type: 'absolute' as const }] }),
    extension: {
      ...passagesExtension(passages),
      [DIAGNOSIS_EXTENSION]: { condition: finding.condition, stage: finding.stage, recordStatus: record.status },
      ...provenanceExtension(provenance),
    },
  };
}

function detail(f: Finding, record: RecordCheck, passages: readonly QuotedPassage[]): string {
  return blocks(
    `**${f.title}${f.stage ? ` (${f.stage})` : ''}**: ${f.summary}.`,
    f.criterion && `Criterion met: ${f.criterion}.`,
    `Problem list: ${record.reason}.`,
    findingEvidenceTable(f),
    bulletList(f.notes),
    '**Guideline basis**',
    ...quotePassages(passages),
  );
}

/** The readings and computed values a finding rests on, as a table. */
export function findingEvidenceTable(f: Finding): string {
  return evidenceTable(
    f.evidence.map((e) => ({
      label: e.label,
      value: e.value,
      ...(e.unit && { unit: e.unit }),
      ...(e.date && { time: e.date }),
      ...(e.source && { source: e.source }),
      contribution: e.kind === 'computed' ? 'computed' : (e.note ?? 'used'),
    })),
    'Use',
  );
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
  return full.length < 140 ? full : lead.slice(0, 139);
}
