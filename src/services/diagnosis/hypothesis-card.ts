/**
 * A card from a language-model hypothesis. It says that it is a hypothesis, names the condition
 * in Cairn's words, quotes the record's sentence the hypothesis rests on (with its source and
 * date) and one of the guideline passages retrieved for it, verbatim with its citation (a short
 * card, src/cards/short-card.ts: every passage is in the card's `cairn-passages`). Nothing the
 * model wrote is on it. Pure.
 *
 * When a hypothesis makes no card:
 * - the condition is already recorded (the clinician knows);
 * - a computed finding for the condition is `met`: the computed card speaks for it, from the data;
 * - a computed finding is `not-met`: there are enough current data and they do not satisfy the
 *   guideline's criterion, so the notes' hint is outweighed (a service that cannot decide shows
 *   nothing rather than something wrong);
 * - no guideline passage was retrieved for it: a card rests on the guideline's own words.
 * A `not-enough-data` finding is shown with the hypothesis: what the data do say, computed.
 */
import { overrideReasons } from '../../cards/override-reasons.js';
import { formatTime } from '../../cards/evidence.js';
import { escapeInline } from '../../cards/markdown.js';
import { distinctPassages, passagesExtension, quoteBlock } from '../../cards/passages.js';
import { cardProvenance, provenanceExtension, type RuleRef } from '../../cards/provenance.js';
import { shortDetail, shortSummary, smartLink } from '../../cards/short-card.js';
import type { ConditionEntry } from '../../fhir/context/index.js';
import type { Card } from '../../hooks/schema.js';
import { DIAGNOSIS_EXTENSION, findingReadings } from './card.js';
import { newFinding, type Finding } from './finding.js';
import { criterionQuery } from './guideline-basis.js';
import type { ReadyHypothesis } from './hypothesis-source.js';

export const HYPOTHESIS_LEAD = 'Hypothesis to consider (language model, from the notes)';
/** When the sentence is a problem-list or medication entry rather than a note, the lead says so. */
export const HYPOTHESIS_LEAD_RECORD = 'Hypothesis to consider (language model, from the record)';

/**
 * The rule a hypothesis card follows (card provenance): when a hypothesis makes a card (the list in
 * the module comment) and what the card shows. Bump the version whenever that logic changes, or
 * how hypotheses are checked before they get here (hypotheses.ts: the closed list of conditions,
 * the quote found in the record).
 */
export const HYPOTHESIS_RULE: RuleRef = { id: 'diagnosis/llm-hypothesis', version: '2' };

export function hypothesisLead(h: Pick<ReadyHypothesis, 'quote'>): string {
  return h.quote.kind === 'note' ? HYPOTHESIS_LEAD : HYPOTHESIS_LEAD_RECORD;
}

export interface HypothesisCardContext {
  /** The computed finding for the same condition, if the criteria produced one. */
  finding?: Finding | undefined;
  /** Conditions on the record that record the hypothesis's condition (known.ts recordedConditions). */
  recorded: readonly ConditionEntry[];
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL): the card links to it when set. */
  smartAppUrl?: string;
}

export function hypothesisCard(h: ReadyHypothesis, context: HypothesisCardContext): Card | undefined {
  if (context.recorded.length > 0) return undefined;
  const finding = context.finding?.condition === h.condition ? context.finding : undefined;
  if (finding && finding.status !== 'not-enough-data') return undefined;
  const passages = distinctPassages([h.basis.criterion, h.basis.nextStep]);
  if (passages.length === 0) return undefined;
  const url = passages.find((p) => p.url)?.url;
  const lead = `${hypothesisLead(h)}: ${h.display}`;
  const links = [
    ...smartLink(context.smartAppUrl, { service: 'diagnosis', rule: HYPOTHESIS_RULE.id, condition: h.condition }),
    ...(url ? [{ label: 'Source guideline', url, type: 'absolute' as const }] : []),
  ];
  return {
    summary: shortSummary(lead),
    // A hypothesis informs; it never warns.
    indicator: 'info',
    detail: detail(h, finding, passages),
    source: { label: 'Cairn diagnosis (language-model hypothesis, guideline passages)', ...(url && { url }) },
    overrideReasons: overrideReasons('notClinicallyRelevant', 'alreadyAssessed'),
    ...(links.length > 0 && { links }),
    extension: {
      ...passagesExtension(passages),
      [DIAGNOSIS_EXTENSION]: {
        condition: h.condition,
        hypothesis: { by: 'language-model', quote: { source: h.quote.source, text: h.quote.text, ...(h.quote.date && { date: h.quote.date }) } },
        ...(finding && { findingStatus: finding.status }),
      },
      ...provenanceExtension(cardProvenance(HYPOTHESIS_RULE, passages)),
    },
  };
}

/**
 * That the card is a hypothesis, the record's sentence with where it stands, what the data say
 * (when a computed finding could not decide; its readings go first when the card is too long),
 * then one guideline quotation. The summary names the hypothesis; the detail does not repeat it.
 */
function detail(h: ReadyHypothesis, finding: Finding | undefined, passages: ReturnType<typeof distinctPassages>): string {
  const where = [h.quote.title, h.quote.source, h.quote.date && formatTime(h.quote.date)].filter(Boolean).join(', ');
  const readings = finding && finding.evidence.length > 0 ? findingReadings(finding) : undefined;
  return shortDetail({
    facts: [
      'Not computed from the data: a language model pointed to this part of the record, and Cairn retrieved the guideline passage below for it.',
      `**From the record** (${escapeInline(where)}):`,
      quoteBlock(h.quote),
      finding && `**Computed from the record**: ${finding.title}: ${finding.summary} (not enough data to decide).`,
      readings && { optional: readings },
    ],
    passages,
    // The guideline's criterion, and what the record's sentence speaks of ("HbA1c 8.1%").
    relevance: `${criterionQuery(finding ?? newFinding(h.condition, { status: 'not-enough-data', summary: '' }))} ${h.quote.text}`,
  }).detail;
}
