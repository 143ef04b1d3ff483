import { formatTime, readingText, type EvidenceRow } from '../../cards/evidence.js';
import { overrideReasons } from '../../cards/override-reasons.js';
import { bulletList, escapeInline } from '../../cards/markdown.js';
import { distinctPassages, passagesExtension, type QuotedPassage } from '../../cards/passages.js';
import { cardProvenance, provenanceActions, provenanceExtension, type CardProvenance } from '../../cards/provenance.js';
import { shortDetail, shortSummary, smartLink, type OptionalBlock } from '../../cards/short-card.js';
import { displayQuantity } from '../../fhir/context/units.js';
import type { Card } from '../../hooks/schema.js';
import { TRIAGE_RULE, type TriageAssessment } from './assess.js';
import { DECISION_POINT_QUERY, ESI_ALGORITHM, highRiskRow, highRiskRowQuery, NEWS2, NEWS2_BAND_QUERY, rowCitation } from './guideline-basis.js';
import { NEWS2_ADULT_AGE_YEARS, type News2Parameter } from './news2.js';
import { complaintNotReadConsequence, describeExcluded } from './triage-input.js';
import { applies, type Evidence, type ScoreApplicability, type VitalParameter } from './types.js';

/**
 * The triage card: indicator, summary and detail computed from the assessment, one guideline
 * passage quoted verbatim. A short card (src/cards/short-card.ts): the detail gives the level, the
 * scores and the readings they rest on, with their times, and quotes the passage behind what makes
 * the card urgent; every reading and passage is in the card's extensions and the Cairn app. Pure:
 * the same assessment and passages always give the same card.
 */
export interface TriageCardOptions {
  /** Show an `info` card when nothing is urgent (default: no card). */
  showInfo: boolean;
  patientId: string;
  encounterId?: string;
  /** ISO time for the suggested orders' authoredOn. */
  now: string;
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL): the card links to it when set. */
  smartAppUrl?: string;
}

/** The card extension key of the triage figures: a fixed `cairn-` name, like every card extension key (see passages.ts). */
export const TRIAGE_EXTENSION = 'cairn-triage';

// Issue thresholds: critical for ESI 1-2 or NEWS2 ≥ 7 (RCP 2017 Chart 2: high clinical risk, emergency
// response); warning for NEWS2 5-6 (medium) or any single parameter scoring 3 (RCP 2017 "red score").
const NEWS2_HIGH = 7;
const NEWS2_MEDIUM = 5;

export type TriageIndicator = 'critical' | 'warning' | 'info';

/**
 * NEWS2 is for adults of 16 and over, not in pregnancy (RCP 2017); qSOFA for adults (Sepsis-3);
 * the shock index threshold of 1 for adults. Outside them their thresholds are normal values (a
 * 2-month-old's respiratory rate of 35 scores 3 and meets qSOFA), so the card neither shows their
 * totals nor lets them raise its indicator, and says why (types.ts applies).
 */
export function triageIndicator(a: TriageAssessment): TriageIndicator {
  const news2 = applies(a.news2);
  if (a.acuity.level <= 2 || (news2 && a.news2.total >= NEWS2_HIGH)) return 'critical';
  if (news2 && (a.news2.total >= NEWS2_MEDIUM || a.news2.anyParameterScored3)) return 'warning';
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
    links: [
      ...smartLink(options.smartAppUrl, { service: 'triage', rule: TRIAGE_RULE.id, esiLevel: a.acuity.level, decisionPoint: a.acuity.setBy }),
      { label: 'ESI v4 Implementation Handbook (AHRQ)', url: 'https://www.ahrq.gov/patient-safety/settings/emergency-dept/esi.html', type: 'absolute' },
    ],
    extension: {
      ...passagesExtension(quoted),
      [TRIAGE_EXTENSION]: {
        esiLevel: a.acuity.level,
        setBy: a.acuity.setBy,
        possibleLevels: a.acuity.possibleLevels,
        news2: a.news2.total,
        ...(!applies(a.news2) && { news2NotApplicable: a.news2.applicability.notes }),
        ...(!applies(a.qsofa) && { qsofaNotApplicable: a.qsofa.applicability.notes }),
        news2Complete: a.news2.complete,
        qsofa: a.qsofa.total,
        ...(a.shockIndex.status === 'computed' && { shockIndex: Number(a.shockIndex.value.toFixed(2)) }),
        // Every reading the scores and the level used (UCUM units, FHIR references), and every parameter not recorded.
        evidence: evidenceRows(a),
        resources: resourcesExtension(a),
        // Cairn's fitted scores that decided between two levels (fitted-score.ts), with their points.
        ...(a.acuity.scores.length > 0 && {
          fittedScores: a.acuity.scores.map((s) => ({ score: s.score, points: s.points, threshold: s.threshold, moreUrgentLevel: s.urgent })),
        }),
        ...(a.observations.missing.length > 0 && { notRecorded: a.observations.missing }),
        // Of those, the ones recorded but excluded, with each reading as recorded and why.
        ...(Object.keys(a.observations.excluded).length > 0 && { excluded: a.observations.excluded }),
        ...(a.observations.chiefComplaintNotRead && { chiefComplaintNotRead: a.observations.chiefComplaintNotRead }),
      },
      ...provenanceExtension(provenance),
    },
  };
}

/**
 * A score the one-line summary gives: one that applies, unless it is a lower bound of 0 ("NEWS2 ≥0",
 * "qSOFA ≥0/3": items unrecorded, nothing scored), which says nothing and reads as reassurance.
 */
const inSummary = (s: { complete: boolean; total: number; applicability: ScoreApplicability }): boolean => applies(s) && (s.complete || s.total > 0);

/** One line under 140 characters, every number computed from the record. */
function summary(a: TriageAssessment): string {
  const parts = [
    `ESI level ${a.acuity.level} (decision point ${a.acuity.setBy})`,
    // A lower bound: its band only when the missing items cannot change it, and no "NEWS2 ≥0" at all.
    ...(inSummary(a.news2) ? [`NEWS2 ${a.news2.complete ? '' : '≥'}${a.news2.total}${a.news2.bandSettled ? ` (${a.news2.band})` : ''}`] : []),
    ...(inSummary(a.qsofa) ? [`qSOFA ${a.qsofa.complete ? '' : '≥'}${a.qsofa.total}/3`] : []),
  ];
  if (a.shockIndex.status === 'computed' && applies(a.shockIndex)) parts.push(`shock index ${a.shockIndex.value.toFixed(2)}`);
  // CDS Hooks: summary under 140 characters; the least important figures go first.
  while (parts.join(' · ') !== shortSummary(parts.join(' · ')) && parts.length > 1) parts.pop();
  return shortSummary(parts.join(' · '));
}

/**
 * The level and why, the scores (with the NEWS2 parameters not recorded, which make the total a
 * lower bound) and the readings they rest on, grouped by the time they were taken; then one
 * passage (leadingPassages) and its source.
 */
function detail(a: TriageAssessment, passages: readonly QuotedPassage[]): string {
  const { mostUrgent, leastUrgent } = a.acuity.possibleLevels;
  // The parameters that make NEWS2 a lower bound; every parameter not recorded is in the card's extension.
  // One whose readings were all excluded (implausible, unit not understood) says so: it was recorded.
  const missing = a.news2.parameters.filter((p) => p.status === 'missing');
  const excludedOf = (p: News2Parameter) => {
    const vital = NEWS2_VITAL[p];
    return vital ? a.observations.excluded[vital] : undefined;
  };
  const notRecorded = missing.filter((p) => !excludedOf(p.parameter)?.length).map((p) => p.label);
  const excluded = missing.flatMap((p) => {
    const readings = excludedOf(p.parameter);
    return readings?.length ? [`${p.label} ${escapeInline(describeExcluded(readings))}`] : [];
  });
  const unknown = [
    ...(notRecorded.length > 0 ? [`${notRecorded.join(', ')}, not recorded in the last ${a.observations.windowHours} h`] : []),
    ...excluded,
  ];
  const bound = a.news2.complete ? '' : `, a lower bound: up to ${a.news2.maxPossibleTotal} with ${unknown.length > 0 ? unknown.join('; ') : 'the readings that allow more points'}`;
  const scores = [
    ...(!applies(a.news2) && !applies(a.qsofa)
      ? [`**NEWS2 and qSOFA not used**: ${escapeInline(adultScoresNotUsed(a))}.`]
      : [
          // Scale 1 is NEWS2's default; scale 2 (hypercapnic respiratory failure) is named because it changes the SpO2 points.
          applies(a.news2)
            ? `${a.news2.bandSettled ? `**NEWS2 ${a.news2.total}** (${a.news2.band} clinical risk)` : `**NEWS2 ≥${a.news2.total}**`}${bound}.${a.news2.spo2Scale === 2 ? ' SpO2 scale 2.' : ''}`
            : `**NEWS2 not used**: ${escapeInline(a.news2.applicability.notes.join('; '))}.`,
          applies(a.qsofa)
            ? `**qSOFA ${a.qsofa.total}/3**${qsofaQualifiers(a)}${a.qsofa.positive === 'yes' ? ': positive' : ''}.`
            : `**qSOFA not used**: ${escapeInline(a.qsofa.applicability.notes.join('; '))}.`,
        ]),
  ];
  if (a.shockIndex.status === 'computed') {
    const { heartRate, systolicBP } = a.shockIndex;
    const threshold = !applies(a.shockIndex)
      ? ` (${escapeInline(a.shockIndex.applicability.notes.join('; '))})`
      : a.shockIndex.elevated
        ? ` (≥ ${a.shockIndex.threshold})`
        : '';
    scores.push(
      `**Shock index ${a.shockIndex.value.toFixed(2)}**: heart rate ${displayQuantity(round2(heartRate.value), heartRate.unit)} ÷ systolic BP ${displayQuantity(round2(systolicBP.value), systolicBP.unit)}${threshold}.`,
    );
  }
  const open = mostUrgent !== leastUrgent ? ` With the data missing, levels ${mostUrgent} to ${leastUrgent} remain possible.` : '';
  const { passages: ranked, relevance } = leadingPassages(a, passages);
  const highRiskLevel = highRiskReason(a);
  return shortDetail({
    facts: [
      `**ESI level ${a.acuity.level}**, set at decision point ${a.acuity.setBy}: ${highRiskLevel ?? a.acuity.reason}.${open}`,
      // The level stands on the vital signs; the contradiction is the clinician's to resolve (a wrong chart, or a wrong death record).
      deceasedWarning(a),
      // Said in the level's own line when the complaint alone set it (highRiskReason).
      // Only when decision point B took the match: a complaint the resource table read whole, with no
      // high-risk row, is not high risk whatever the knowledge base's nearest passage is (acuity.ts).
      a.highRisk.status === 'matched' &&
        highRiskLevel === undefined &&
        a.acuity.findings.some((f) => f.criterion === 'high-risk-complaint' && f.met === true) &&
        `Chief complaint "${escapeInline(a.highRisk.complaint)}" matches a high-risk situation of the ESI handbook.`,
      // Not read is not "none": the clinician reads the reason for visit the EHR holds.
      a.observations.chiefComplaintNotRead &&
        `**Chief complaint not read**: ${complaintNotReadConsequence(a.observations.chiefComplaintNotRead)}`,
      // Required when it set the level; otherwise (level from D, or no estimate) it gives way, like the readings.
      decisionPointCBlock(a),
      // The reason is for the log (an error message); the clinician needs to know only that it was not checked.
      a.highRisk.status === 'unavailable' && `The chief complaint "${escapeInline(a.highRisk.complaint)}" could not be checked against the handbook's high-risk situations (the guideline search was unavailable).`,
      bulletList(scores),
      ...readings(a),
    ],
    passages: ranked,
    // The passage behind what makes the card urgent is quoted whenever some of it fits.
    preferred: 1,
    relevance,
    avoid: NOT_AT_THIS_LEVEL,
  }).detail;
}

/**
 * Why neither adult score is used, in one line: for a child both notes say the same thing (an
 * adult score), and two lines of it left a febrile child's card no room for its guideline quotation
 * within the short card's 1,000 characters. The notes stay whole in the card extension and the app.
 */
function adultScoresNotUsed(a: TriageAssessment): string {
  const age = a.observations.patient.age;
  if (!age || age.years >= NEWS2_ADULT_AGE_YEARS) return [...a.news2.applicability.notes, ...a.qsofa.applicability.notes].join('; ');
  // Under 16 (RCP 2017 NEWS2 scope; qSOFA, Sepsis-3, is for adults); a pregnancy note, if any, kept.
  const others = a.news2.applicability.notes.filter((n) => !n.startsWith('age '));
  return [`age ${age.display}: adult scores (NEWS2 is validated from 16 years, qSOFA for adults); use a paediatric early warning score`, ...others].join('; ');
}

/** In parentheses: a total that is a lower bound, and why a qSOFA shown may mislead (age unknown, pregnancy: qsofa.ts). */
function qsofaQualifiers(a: TriageAssessment): string {
  const { applicable, notes } = a.qsofa.applicability;
  const qualifiers = [...(a.qsofa.complete ? [] : ['lower bound']), ...(applicable === 'unknown' ? notes.map(escapeInline) : [])];
  return qualifiers.length > 0 ? ` (${qualifiers.join('; ')})` : '';
}

/**
 * Why the level was set, when a high-risk chief complaint set it alone: the complaint as recorded,
 * and the resource-table row it matched when a row decided (a row that the handbook's chapter 4
 * names high risk), in place of the criterion's bare name. The chapter 4 passage follows as the
 * quotation. One line instead of two leaves the quotation room within the card's 1,000 characters.
 */
function highRiskReason(a: TriageAssessment): string | undefined {
  if (a.acuity.setBy !== 'B' || a.acuity.deciding.some((f) => f.criterion !== 'high-risk-complaint')) return undefined;
  if (a.highRisk.status === 'matched') return `should not wait (high risk): chief complaint "${escapeInline(a.highRisk.complaint)}" matches a high-risk situation of the ESI handbook`;
  const row = highRiskRow(a);
  const complaint = a.observations.chiefComplaint?.text;
  if (!row || complaint === undefined) return undefined;
  // The chapter the row cites: 4 for the high-risk situations, 3 for a level-1 example (anaphylaxis).
  const chapter = rowCitation(row).document === ESI_ALGORITHM ? 3 : 4;
  return `should not wait (high risk): chief complaint "${escapeInline(complaint)}" matches "${escapeInline(row.label)}", a high-risk situation in ESI chapter ${chapter}`;
}

/**
 * Excerpts that say a patient does not meet a level's criteria ("All chest pain patients do not
 * meet level-1 or 2 criteria.", "Patients with a baseline mental status of confusion do not meet
 * level-2 criteria."): the handbook's caveats, which read as the opposite of the card when quoted
 * alone. A whole passage is still quoted with them in it.
 */
const NOT_AT_THIS_LEVEL = /\b(?:do|does|did) not meet\b[^.;]*\blevel|\bnot (?:an? )?(?:ESI )?level[- ]\d/i;

/** A patient triaged from readings taken now, whom the record says has died: say so, with the date recorded. */
function deceasedWarning(a: TriageAssessment): string | false {
  const deceased = a.observations.patient.recordedDeceased;
  if (!deceased) return false;
  const when = deceased.dateTime ? ` on ${formatTime(deceased.dateTime)}` : '';
  return `**Check the record**: the Patient resource says this patient died${when}, yet this card is computed from data of the last ${a.observations.windowHours} h.`;
}

/**
 * Decision point C as the card says it, when the level did not come from A or B: the resources
 * expected and their basis (the complaint's matched rows of the resource table, each with its
 * handbook citation), or why they could not be estimated. Computed from the estimate alone.
 */
export function decisionPointC(a: TriageAssessment): string | false {
  if (a.acuity.setBy === 'A' || a.acuity.setBy === 'B') return false;
  const r = a.acuity.resources;
  if (r.status === 'unknown') return `Decision point C: resources could not be estimated (${escapeInline(r.reason)}); the level stays at 3 rather than guessing 4 or 5.`;
  const rows = (r.matches ?? []).map((m) => `"${escapeInline(m.label)}" (matched "${escapeInline(m.matchedWords.join(' '))}"; ${escapeInline(m.citation)})`);
  const expected = r.count === 'many' ? 'two or more resources' : r.count === 'one' ? 'one resource' : 'no resources';
  const adjust = (r.adjustments ?? []).map((x) => `${escapeInline(x.detail)} (${escapeInline(x.citation)})`);
  return `Decision point C: ${expected} expected${rows.length > 0 ? `, from the resource table row${rows.length > 1 ? 's' : ''} ${rows.join('; ')}` : ` (${escapeInline(r.basis)})`}${adjust.length > 0 ? `; ${adjust.join('; ')}` : ''}.`;
}

function decisionPointCBlock(a: TriageAssessment): string | OptionalBlock | false {
  const text = decisionPointC(a);
  return text && a.acuity.setBy !== 'C' ? { optional: text } : text;
}

function resourcesExtension(a: TriageAssessment): object {
  const r = a.acuity.resources;
  if (r.status === 'unknown') return { status: 'unknown', reason: r.reason };
  // Empty lists are left out: CDS Hooks validators refuse them.
  return {
    status: 'estimated',
    count: r.count,
    ...(r.resources && r.resources.length > 0 && { resources: r.resources }),
    ...(r.matches && r.matches.length > 0 && { rows: r.matches.map((m) => ({ row: m.rowId, label: m.label, matchedWords: m.matchedWords, citation: m.citation })) }),
    ...(r.adjustments && r.adjustments.length > 0 && { adjustments: r.adjustments }),
  };
}

/**
 * The passages in the order the card prefers to quote them, and what the quotation should speak
 * to: what makes the card urgent first. ESI level 1 or 2: the passage behind the level (the
 * matched high-risk situation for a level-2 complaint, then the decision point); else a NEWS2 band
 * above low: the band's clinical response; else the decision point. The others follow in the order
 * retrieved.
 */
function leadingPassages(a: TriageAssessment, passages: readonly QuotedPassage[]): { passages: QuotedPassage[]; relevance: string } {
  // A high-risk row of the resource table: the section it cites (guideline-basis.ts highRiskRowQuery).
  // It goes before the knowledge base's nearest passage, which for "chest pain radiating to left
  // arm" is the aortic aneurysm's "abdominal pain radiating to the back".
  const row = highRiskRow(a);
  const highRisk = row === undefined && a.highRisk.status === 'matched' && a.acuity.setBy === 'B' ? a.highRisk.passage?.chunkId : undefined;
  const rowQuery = row && highRiskRowQuery(row);
  const isRowPassage = (p: QuotedPassage) => rowQuery?.accept?.(p) === true;
  const bandQuery = applies(a.news2) ? NEWS2_BAND_QUERY[a.news2.band] : undefined;
  const news2First = a.acuity.level > 2 && bandQuery !== undefined;
  const priority = (p: QuotedPassage): number => {
    if (p.chunkId === highRisk || isRowPassage(p)) return 0;
    if (news2First) return p.documentId === NEWS2 ? 1 : 2;
    return p.documentId === ESI_ALGORITHM ? 1 : 2;
  };
  const ranked = passages.map((p, i) => ({ p, i })).sort((x, y) => priority(x.p) - priority(y.p) || x.i - y.i);
  const complaint = highRisk && a.highRisk.status === 'matched' ? ` ${a.highRisk.complaint}` : '';
  // A high-risk row: the quotation speaks to the situation itself (the row's name and the complaint's
  // words it matched), not to the words of the question, of the row's summary or of the rest of the
  // complaint ("require rapid evaluation" quoted "These patients … require emergency urinary
  // catheterization", and "since this morning" a sentence about dialysis, on a testicular pain card).
  const relevance = news2First
    ? bandQuery
    : row
      ? `${row.label} ${row.matchedWords.join(' ')}`
      : `${DECISION_POINT_QUERY[a.acuity.setBy]} ${a.acuity.reason}${complaint}`;
  return { passages: ranked.map((x) => x.p), relevance };
}

/**
 * The readings behind the scores and the level, with their NEWS2 points, grouped by when they were
 * taken: one line when they share a time, else a lead-in and one item per time.
 */
function readings(a: TriageAssessment): string[] {
  const news2 = applies(a.news2);
  const rows: Array<{ text: string; time?: string }> = [];
  const shown = new Set<string>();
  for (const p of a.news2.parameters) {
    const e = p.evidence[0];
    if (!e) continue;
    shown.add(`${e.source} ${e.parameter}`);
    const points = p.points === null || !news2 ? '' : ` (${p.points}${p.status === 'lower-bound' ? ' or more' : ''})`;
    rows.push({ text: `${readingText(readingOf(p.label, e))}${points}`, time: e.effective });
  }
  for (const f of a.acuity.deciding) {
    for (const e of f.evidence) {
      if (shown.has(`${e.source} ${e.parameter}`)) continue;
      shown.add(`${e.source} ${e.parameter}`);
      rows.push({ text: readingText(readingOf(e.label, e)), time: e.effective });
    }
  }
  if (rows.length === 0) return [];
  const groups = new Map<string, string[]>();
  for (const r of rows) {
    const when = r.time ? formatTime(r.time) : 'time not recorded';
    groups.set(when, [...(groups.get(when) ?? []), r.text]);
  }
  const lines = [...groups].map(([when, texts]) => `${when}: ${texts.join(', ')}`);
  const lead = news2 ? 'Readings (NEWS2 points)' : 'Readings';
  return lines.length === 1 ? [`${lead} of ${lines[0]}.`] : [`${lead}:`, bulletList(lines)];
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
      ...(e?.kind === 'quantity' && { unit: e.unit, ...(e.recorded && { recorded: e.recorded }) }),
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

/** A reading as the detail writes it: "Consciousness C, Acute confusion" rather than nested brackets before the points. */
function readingOf(label: string, e: Evidence): Pick<EvidenceRow, 'label' | 'value' | 'unit' | 'recorded'> {
  // "C (Acute confusion)", not "C, Acute confusion": in a list of readings a comma reads as the next one.
  if (e.kind === 'consciousness') return { label, value: evidenceValue(e) };
  return { label, value: evidenceValue(e), unit: e.unit, ...(e.recorded && { recorded: e.recorded }) };
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

/** Lactate and blood cultures when qSOFA is positive (SSC 2021; its passage is in the card's `cairn-passages`). */
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

/** The vital sign each NEWS2 parameter reads (air or oxygen and consciousness are not quantities). */
const NEWS2_VITAL: Readonly<Partial<Record<News2Parameter, VitalParameter>>> = {
  respirationRate: 'respiratoryRate',
  spo2: 'spo2',
  systolicBP: 'systolicBP',
  pulse: 'heartRate',
  temperature: 'temperature',
};
