import { evidenceTable, type EvidenceRow } from '../../cards/evidence-table.js';
import { overrideReasons } from '../../cards/override-reasons.js';
import { blocks, bulletList, escapeInline } from '../../cards/markdown.js';
import { distinctPassages, passagesExtension, quotePassages, type QuotedPassage } from '../../cards/passages.js';
import { cardProvenance, provenanceActions, provenanceExtension, type CardProvenance } from '../../cards/provenance.js';
import { displayQuantity } from '../../fhir/context/units.js';
import type { Card } from '../../hooks/schema.js';
import { TRIAGE_RULE, type TriageAssessment } from './assess.js';
import { PARAMETER_LABELS, type Evidence } from './types.js';

/**
 * The triage card: indicator, summary and detail computed from the assessment, guideline passages
 * quoted verbatim. Pure: the same assessment and passages always give the same card.
 */
export interface TriageCardOptions {
  /** Show an `info` card when nothing is urgent (default: no card). */
  showInfo: boolean;
  patientId: string;
  encounterId?: string;
  /** ISO time for the suggested orders' authoredOn. */
  now: string;
}

/** The card extension key of the triage figures: a fixed `cairn-` name, like every card extension key (see passages.ts). */
export const TRIAGE_EXTENSION = 'cairn-triage';

// Issue thresholds: critical for ESI 1-2 or NEWS2 ≥ 7 (RCP 2017 Chart 2: high clinical risk, emergency
// response); warning for NEWS2 5-6 (medium) or any single parameter scoring 3 (RCP 2017 "red score").
const NEWS2_HIGH = 7;
const NEWS2_MEDIUM = 5;

export type TriageIndicator = 'critical' | 'warning' | 'info';

export function triageIndicator(a: TriageAssessment): TriageIndicator {
  if (a.acuity.level <= 2 || a.news2.total >= NEWS2_HIGH) return 'critical';
  if (a.news2.total >= NEWS2_MEDIUM || a.news2.anyParameterScored3) return 'warning';
  return 'info';
}

export function triageCard(a: TriageAssessment, passages: readonly QuotedPassage[], options: TriageCardOptions): Card | undefined {
  const indicator = triageIndicator(a);
  if (indicator === 'info' && !options.showInfo) return undefined;
  const quoted = distinctPassages([...passages, highRiskPassage(a)]);
  const provenance = cardProvenance(TRIAGE_RULE, quoted);
  return {
    summary: summary(a),
    indicator,
    detail: detail(a, quoted),
    source: {
      label: 'Cairn triage (NEWS2, qSOFA, ESI v4)',
      url: 'https://www.ahrq.gov/patient-safety/settings/emergency-dept/esi.html',
    },
    ...(a.qsofa.positive === 'yes' && {
      selectionBehavior: 'any' as const,
      suggestions: [sepsisWorkUp(options, provenance)],
    }),
    overrideReasons: overrideReasons('alreadyAssessed', 'measurementError', 'notClinicallyRelevant'),
    links: [{ label: 'ESI v4 Implementation Handbook (AHRQ)', url: 'https://www.ahrq.gov/patient-safety/settings/emergency-dept/esi.html', type: 'absolute' }],
    extension: {
      ...passagesExtension(quoted),
      [TRIAGE_EXTENSION]: {
        esiLevel: a.acuity.level,
        setBy: a.acuity.setBy,
        possibleLevels: a.acuity.possibleLevels,
        news2: a.news2.total,
        news2Complete: a.news2.complete,
        qsofa: a.qsofa.total,
        ...(a.shockIndex.status === 'computed' && { shockIndex: Number(a.shockIndex.value.toFixed(2)) }),
      },
      ...provenanceExtension(provenance),
    },
  };
}

/** One line under 140 characters, every number computed from the record. */
function summary(a: TriageAssessment): string {
  const parts = [
    `ESI level ${a.acuity.level} (decision point ${a.acuity.setBy})`,
    `NEWS2 ${a.news2.complete ? '' : '≥'}${a.news2.total} (${a.news2.band})`,
    `qSOFA ${a.qsofa.complete ? '' : '≥'}${a.qsofa.total}/3`,
  ];
  if (a.shockIndex.status === 'computed') parts.push(`shock index ${a.shockIndex.value.toFixed(2)}`);
  // CDS Hooks: summary under 140 characters; the least important figures go first.
  while (parts.join(' · ').length >= 140 && parts.length > 1) parts.pop();
  return parts.join(' · ');
}

function detail(a: TriageAssessment, passages: readonly QuotedPassage[]): string {
  const { mostUrgent, leastUrgent } = a.acuity.possibleLevels;
  const scores = [
    `**NEWS2 ${a.news2.total}** (${a.news2.band} clinical risk)${a.news2.complete ? '' : `, a lower bound: up to ${a.news2.maxPossibleTotal} with the missing parameters`}. SpO2 scale ${a.news2.spo2Scale}.`,
    `**qSOFA ${a.qsofa.total}/3**${a.qsofa.complete ? '' : ' (lower bound)'}${a.qsofa.positive === 'yes' ? ': positive' : ''}.`,
  ];
  if (a.shockIndex.status === 'computed') {
    const { heartRate, systolicBP } = a.shockIndex;
    scores.push(
      `**Shock index ${a.shockIndex.value.toFixed(2)}**: heart rate ${displayQuantity(round2(heartRate.value), heartRate.unit)} ÷ systolic BP ${displayQuantity(round2(systolicBP.value), systolicBP.unit)}${a.shockIndex.elevated ? ` (≥ ${a.shockIndex.threshold})` : ''}.`,
    );
  }
  const missing = a.observations.missing.map((p) => PARAMETER_LABELS[p]);
  return blocks(
    `**ESI level ${a.acuity.level}**, set at decision point ${a.acuity.setBy}: ${a.acuity.reason}.`,
    mostUrgent !== leastUrgent && `With the data missing, levels ${mostUrgent} to ${leastUrgent} remain possible.`,
    a.highRisk.status === 'matched' && `Chief complaint "${escapeInline(a.highRisk.complaint)}" matches a high-risk situation of the ESI handbook (quoted below).`,
    // The reason is for the log (an error message); the clinician needs to know only that it was not checked.
    a.highRisk.status === 'unavailable' && `The chief complaint "${escapeInline(a.highRisk.complaint)}" could not be checked against the handbook's high-risk situations (the guideline search was unavailable).`,
    bulletList(scores),
    evidenceTable(evidenceRows(a), 'Points / effect'),
    missing.length > 0 && `Not recorded in the last ${a.observations.windowHours} h: ${missing.join(', ')}.`,
    passages.length > 0 && '**Guideline basis**',
    ...quotePassages(passages),
  );
}

function round2(v: number): string {
  return String(Number(v.toFixed(2)));
}

function evidenceRows(a: TriageAssessment): EvidenceRow[] {
  const rows: EvidenceRow[] = a.news2.parameters.map((p) => {
    const e = p.evidence[0];
    return {
      label: p.label,
      ...(e && { value: evidenceValue(e), time: e.effective, source: e.source }),
      ...(e?.kind === 'quantity' && { unit: e.unit }),
      contribution: p.points === null ? 'not scored' : `${p.points} NEWS2 point${p.points === 1 ? '' : 's'}${p.status === 'lower-bound' ? ' (at least)' : ''}`,
    };
  });
  for (const f of a.acuity.deciding) {
    const e = f.evidence[0];
    rows.push({
      label: f.label,
      ...(e && { value: evidenceValue(e), time: e.effective, source: e.source }),
      ...(e?.kind === 'quantity' && { unit: e.unit }),
      contribution: `sets ESI level ${a.acuity.level} (decision point ${f.decisionPoint})`,
    });
  }
  return rows;
}

function evidenceValue(e: Evidence): number | string {
  if (e.kind === 'consciousness') return e.display ? `${e.value} (${e.display})` : e.value;
  return e.comparator ? `${e.comparator}${e.value}` : e.value;
}

/** The handbook passage a complaint matched; quoted only when it came from the knowledge base with its citation. */
export function highRiskPassage(a: TriageAssessment): QuotedPassage | undefined {
  if (a.highRisk.status !== 'matched' || !a.highRisk.passage) return undefined;
  const p: object = a.highRisk.passage;
  // Only a passage whose document edition is known is quoted: the card's provenance names it.
  return 'citation' in p && 'documentId' in p && 'documentHash' in p ? (p as QuotedPassage) : undefined;
}

/** Lactate and blood cultures when qSOFA is positive (SSC 2021; quoted on the card). */
function sepsisWorkUp(options: TriageCardOptions, provenance: CardProvenance) {
  const order = (code: string, display: string) => ({
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'proposal',
    priority: 'urgent',
    code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
    subject: { reference: `Patient/${options.patientId}` },
    ...(options.encounterId && { encounter: { reference: `Encounter/${options.encounterId}` } }),
    authoredOn: options.now,
  });
  return {
    label: 'Order serum lactate and blood cultures (qSOFA ≥ 2)',
    actions: provenanceActions(
      [
        { type: 'create' as const, description: 'Serum lactate', resource: order('2524-7', 'Lactate [Moles/volume] in Serum or Plasma') },
        { type: 'create' as const, description: 'Blood cultures before antimicrobials', resource: order('600-7', 'Bacteria identified in Blood by Culture') },
      ],
      provenance,
      options.now,
    ),
  };
}
