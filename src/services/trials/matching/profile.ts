/**
 * What trial matching knows about one patient: the PatientContext (coded, unit-normalised, with
 * sources) plus what its notes say, split into sentences, each with its concept mentions (and
 * whether they are affirmed, negated, uncertain or about someone else), its measurements and
 * optionally its embedding. Age and sex come from the record, or from the notes when the record
 * lacks them ("58-year-old woman", "74M").
 *
 * Pure: the sentence vectors are attached from outside (`withSentenceEmbeddings`), never computed
 * here.
 */
import type { PatientContext, QuantityKey, Reading } from '../../../fhir/context/types.js';
import { latest, series } from '../../../fhir/context/series.js';
import { conceptAncestry, conditionMentions, CONDITIONS, medicationMentions, MEDICATIONS, type Concept } from './lexicon.js';
import { extractMeasurements, type MeasurementStatement } from './measurements.js';
import { ANALYTES } from '../../../text/analytes.js';
import { isPastMention } from '../../../text/history.js';
import { assertionAt, assertionSpans, type Assertion } from '../../../text/negation.js';
import { splitSentences } from '../../../text/sentences.js';
import { asciiFold, stem, words } from '../../../text/tokens.js';
import { DEFAULT_SLICE_MS, mapInSlices } from '../../../slices.js';

export interface NoteSentence {
  /** Position in `profile.sentences`. */
  index: number;
  /** The note it came from (`DocumentReference/1`). */
  source: string;
  /** Position of the sentence within its note (0-based). */
  position: number;
  text: string;
  /** Stemmed words of the sentence. */
  stems: ReadonlySet<string>;
  /** `past`: affirmed, but as past history ("prior MI", "history of MI in 2010": text/history.ts). */
  conditions: Array<{ conceptId: string; assertion: Assertion; text: string; past?: boolean }>;
  medications: Array<{ conceptId: string; assertion: Assertion; text: string }>;
  measurements: MeasurementStatement[];
}

/** One piece of evidence about a fact: a coded record entry, or a sentence of a note. */
export interface FactEvidence {
  /** `past`: a coded condition that was resolved, inactive or abated by the reference time. */
  status: 'present' | 'absent' | 'uncertain' | 'past';
  /**
   * A note's affirmed mention written as past history ("prior MI", "CVA in 2015": text/history.ts).
   * Its status stays `present`, so criteria about a history ("history of stroke") are met by it;
   * it does not make the trial a candidate for the card (studied-condition.ts).
   */
  past?: true;
  source: string;
  /** What the evidence says, readable: a condition's display, or the sentence. */
  text: string;
  /** For note evidence: the sentence's index in `profile.sentences`. */
  sentence?: number;
}

export interface ValueEvidence {
  analyteId: string;
  quantity?: QuantityKey;
  /** In the canonical unit when `canonical`, else as written. */
  value: number;
  /** Diastolic, for a blood-pressure pair. */
  value2?: number;
  unit: string | null;
  canonical: boolean;
  comparator?: '<' | '<=' | '>' | '>=';
  source: string;
  text: string;
  sentence?: number;
  /** Epoch ms of a recorded reading. */
  time?: number;
}

export interface Demographic<T> {
  value: T;
  source: string;
  text: string;
  sentence?: number;
}

export interface PatientProfile {
  context: PatientContext;
  patientId: string | null;
  age?: Demographic<number>;
  sex?: Demographic<'female' | 'male'>;
  sentences: NoteSentence[];
  /** Aligned with `sentences` when the profile was embedded. */
  sentenceEmbeddings?: number[][];
  /** Concept id → evidence (its narrower concepts' evidence counts for it too). */
  conditions: Map<string, FactEvidence[]>;
  medications: Map<string, FactEvidence[]>;
  /** Analyte id → values, recorded readings first. */
  values: Map<string, ValueEvidence[]>;
  performance?: { scale: 'ecog' | 'karnofsky'; value: number; source: string; text: string; sentence?: number };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const AGE_PATTERNS: ReadonlyArray<readonly [RegExp, number]> = [
  [/\b(\d{1,3})[- ]?(?:year|yr)s?[- ]?old\b/i, 1],
  [/\b(\d{1,3})\s*(?:yo|y\/o|y\.o\.?|yrs? old)(?![a-z])/i, 1],
  [/\b(\d{1,3}) years? of age\b/i, 1],
  [/\baged (\d{1,3})\b/i, 1],
  [/\b(\d{1,2})[- ]?months?[- ]?old\b/i, 1 / 12],
  [/\b(\d{1,2})[- ]?weeks?[- ]?old\b/i, 7 / 365.25],
  [/\b(\d{1,2})[- ]?days?[- ]?old\b/i, 1 / 365.25],
  // "74M hx of CAD", "48 M with", "A 32 F": age and sex written together.
  [/(?:^|\b(?:a|an|is|pt|patient)\s+)(\d{1,3})\s?(?:M|F)(?=[\s,.;:]|$)/, 1],
];

const FEMALE = /\b(?:woman|female|lady|girl|she|her|hers|herself|mrs|ms|postmenopausal|premenopausal)\b/gi;
const MALE = /\b(?:man|male|gentleman|boy|he|his|him|himself|mr)\b/gi;

function noteAge(sentences: readonly NoteSentence[]): Demographic<number> | undefined {
  for (const s of sentences) {
    for (const [re, factor] of AGE_PATTERNS) {
      const m = re.exec(s.text);
      if (m) {
        const years = Number(m[1]) * factor;
        if (years >= 0 && years <= 120) return { value: Number(years.toFixed(3)), source: s.source, text: s.text, sentence: s.index };
      }
    }
  }
  return undefined;
}

/**
 * Sex from the notes: an explicit word ("woman", "male", "74M") in the first sentence that has
 * one; otherwise the pronouns, when one sex's outnumber the other's at least two to one.
 */
function noteSex(sentences: readonly NoteSentence[]): Demographic<'female' | 'male'> | undefined {
  for (const s of sentences) {
    const explicitF = /\b(?:woman|female|lady|girl)\b/i.test(s.text) || /\b\d{1,3}\s?F(?=[\s,.;:]|$)/.test(s.text);
    const explicitM = /\b(?:man|male|gentleman|boy)\b/i.test(s.text) || /\b\d{1,3}\s?M(?=[\s,.;:]|$)/.test(s.text);
    if (explicitF !== explicitM) return { value: explicitF ? 'female' : 'male', source: s.source, text: s.text, sentence: s.index };
  }
  let f = 0;
  let m = 0;
  let firstF: NoteSentence | undefined;
  let firstM: NoteSentence | undefined;
  for (const s of sentences) {
    const nf = (s.text.match(FEMALE) ?? []).length;
    const nm = (s.text.match(MALE) ?? []).length;
    if (nf > 0) firstF ??= s;
    if (nm > 0) firstM ??= s;
    f += nf;
    m += nm;
  }
  if (f >= 2 * Math.max(1, m) && firstF) return { value: 'female', source: firstF.source, text: firstF.text, sentence: firstF.index };
  if (m >= 2 * Math.max(1, f) && firstM) return { value: 'male', source: firstM.source, text: firstM.text, sentence: firstM.index };
  return undefined;
}

const CURRENT_PREGNANCY = /\b(?:is|am|are|currently|now)\s+(?:\w+\s+)?pregnant\b|\bpregnant (?:woman|women|patient|female)\b|\b\d+\s*(?:weeks?|wks?)\b[^.]{0,20}\b(?:pregnant|gestation|pregnancy)\b|\btrimester\b|\bpositive pregnancy test\b|\bG\d+P\d+/i;

const ECOG_NOTE = /\b(?:ecog|zubrod|who)(?: performance status| ps| performance score)?(?: score)?(?: of| is| was|:|=)?\s*([0-5])\b/i;
const KPS_NOTE = /\b(?:karnofsky|kps)(?: performance status| performance score| score)?(?: of| is| was|:|=)?\s*(\d{2,3})\s*%?/i;

/** Each sentence of each note, in order: cheap (splitting only), so its length says what reading will cost. */
function noteParts(ctx: PatientContext): Array<{ source: string; position: number; text: string }> {
  return ctx.notes.flatMap((note) => splitSentences(note.text).map((part, position) => ({ source: note.source, position, text: part.text })));
}

/** One note sentence as matching reads it: its concepts (with negation, family and past history) and measurements. */
function readSentence(part: { source: string; position: number; text: string }, index: number, referenceYear: number): NoteSentence {
  const text = part.text.replace(/^\d{1,3}\.\s+(?=\S)/, '');
  const folded = asciiFold(text);
  const spans = assertionSpans(folded);
  const assert = (start: number, end: number, negativeForm: boolean): Assertion => {
    const a = assertionAt(folded, start, end, spans);
    // "nonsmoker" is itself a negation; "not a nonsmoker" is not worth modelling.
    return negativeForm ? (a === 'other-person' ? a : 'negated') : a;
  };
  return {
    index,
    source: part.source,
    position: part.position,
    text,
    stems: new Set(words(text).map(stem)),
    conditions: conditionMentions(folded, true).map((m) => {
      const assertion = assert(m.start, m.end, m.negativeForm);
      const past = assertion === 'affirmed' && isPastMention(folded, m.start, m.end, referenceYear);
      return { conceptId: m.conceptId, assertion, text: m.text, ...(past && { past }) };
    }),
    medications: medicationMentions(folded, true).map((m) => ({ conceptId: m.conceptId, assertion: assert(m.start, m.end, m.negativeForm), text: m.text })),
    measurements: extractMeasurements(folded, '='),
  };
}

function conceptsOfText(text: string, concepts: readonly Concept[], kind: 'condition' | 'medication'): string[] {
  const mentions = kind === 'condition' ? conditionMentions(text, true) : medicationMentions(text, true);
  return [...new Set(mentions.filter((m) => !m.negativeForm).map((m) => m.conceptId))].filter((id) => concepts.some((c) => c.id === id));
}

function assertionStatus(a: Assertion): FactEvidence['status'] | undefined {
  if (a === 'affirmed') return 'present';
  if (a === 'negated') return 'absent';
  if (a === 'uncertain') return 'uncertain';
  return undefined; // about someone else: not evidence about the patient
}

/**
 * The profile with its note sentences' vectors, aligned with `profile.sentences`. The vectors are
 * computed elsewhere (the matcher's SentenceEmbeddingCache, or the evaluation): embedding is I/O,
 * and this module stays pure so that every stage here can be table-tested without a model.
 */
export function withSentenceEmbeddings(profile: PatientProfile, vectors: number[][]): PatientProfile {
  if (vectors.length !== profile.sentences.length) {
    throw new Error(`${vectors.length} sentence vectors for ${profile.sentences.length} note sentences`);
  }
  return { ...profile, sentenceEmbeddings: vectors };
}

/** The profile from the PatientContext, without sentence vectors (see withSentenceEmbeddings). */
export function profileFromContext(ctx: PatientContext): PatientProfile {
  const referenceYear = new Date(ctx.referenceTime).getUTCFullYear();
  return profileWithSentences(ctx, noteParts(ctx).map((part, i) => readSentence(part, i, referenceYear)));
}

/**
 * profileFromContext for a hook: the note sentences are read in slices of the event loop (a
 * sentence takes about 25 µs, so a record of 100,000 would hold it for seconds), and once `signal`
 * aborts no further sentence is read: the promise rejects with the signal's reason.
 */
export async function profileFromContextInSlices(ctx: PatientContext, signal?: AbortSignal): Promise<PatientProfile> {
  const referenceYear = new Date(ctx.referenceTime).getUTCFullYear();
  return profileWithSentences(ctx, await mapInSlices(noteParts(ctx), (part, i) => readSentence(part, i, referenceYear), DEFAULT_SLICE_MS, signal));
}

function profileWithSentences(ctx: PatientContext, sentences: NoteSentence[]): PatientProfile {
  const conditions = new Map<string, FactEvidence[]>();
  const medications = new Map<string, FactEvidence[]>();
  const values = new Map<string, ValueEvidence[]>();

  // Coded conditions: by value set, then by the words of their display or text.
  for (const c of ctx.conditions) {
    // A resolved or abated condition is history, not the present: "pregnant" must not be read from a
    // pregnancy that ended years ago, nor "active infection" from a treated one.
    const status: FactEvidence['status'] = c.tentative ? 'uncertain' : c.activeAtReference === 'no' ? 'past' : 'present';
    const label = c.text ?? c.codings[0]?.display ?? c.codings[0]?.code ?? 'condition';
    const ids = new Set<string>();
    for (const concept of CONDITIONS) {
      // The broadest concept of a value set the code is in; a narrower one when its own code is recorded.
      if (concept.valueSet && c.valueSets.includes(concept.valueSet) && !concept.parent) ids.add(concept.id);
      if (concept.coding && c.codings.some((x) => x.system === concept.coding?.system && x.code === concept.coding.code)) ids.add(concept.id);
    }
    for (const text of [c.text, ...c.codings.map((x) => x.display)]) {
      if (text) for (const id of conceptsOfText(text, CONDITIONS, 'condition')) ids.add(id);
    }
    for (const id of ids) for (const a of conceptAncestry(id)) push(conditions, a, { status, source: c.source, text: label });
  }
  for (const m of ctx.medications) {
    if (!m.isActive) continue;
    const label = m.text ?? m.codings[0]?.display ?? 'medication';
    const ids = new Set<string>();
    for (const concept of MEDICATIONS) if (concept.valueSet && m.valueSets.includes(concept.valueSet)) ids.add(concept.id);
    for (const text of [m.text, ...m.codings.map((x) => x.display)]) {
      if (text) for (const id of conceptsOfText(text, MEDICATIONS, 'medication')) ids.add(id);
    }
    for (const id of ids) push(medications, id, { status: 'present', source: m.source, text: label });
  }
  // Recorded readings: the latest of each series.
  for (const { quantity, id: analyteId } of ANALYTES) {
    if (!quantity) continue;
    const r: Reading | undefined = latest(series(ctx, quantity));
    if (!r) continue;
    push(values, analyteId, {
      analyteId,
      quantity,
      value: r.value,
      unit: r.unit,
      canonical: true,
      ...(r.comparator !== undefined && { comparator: r.comparator }),
      source: r.source,
      text: `${r.value} ${r.unit} (${r.effective})`,
      time: r.effectiveTime,
    });
  }
  // Pregnancy as recorded.
  if (ctx.pregnancy.status !== 'unknown') {
    const src = ctx.pregnancy.evidence[0]?.source ?? 'Patient';
    push(conditions, 'pregnancy', { status: ctx.pregnancy.status === 'pregnant' ? 'present' : 'absent', source: src, text: `pregnancy status: ${ctx.pregnancy.status}` });
  }

  // The notes.
  let performance: PatientProfile['performance'];
  for (const s of sentences) {
    for (const m of s.conditions) {
      let status = assertionStatus(m.assertion);
      // "Hypertension with pregnancy" in a history list is a past pregnancy: only a statement of
      // the present ("is pregnant", "20 weeks pregnant", "currently", "trimester") counts as now.
      if (m.conceptId === 'pregnancy' && status === 'present' && !CURRENT_PREGNANCY.test(s.text)) status = 'uncertain';
      if (!status) continue;
      for (const a of conceptAncestry(m.conceptId)) {
        // Absence of a narrower concept ("no type 2 diabetes") says nothing about the broader one.
        if (status === 'absent' && a !== m.conceptId) continue;
        // A past mention stays `present` for the judge: "History of stroke" is met by "CVA in 2015".
        push(conditions, a, { status, source: s.source, text: s.text, sentence: s.index, ...(m.past === true && status === 'present' && { past: true as const }) });
      }
    }
    for (const m of s.medications) {
      const status = assertionStatus(m.assertion);
      if (status) push(medications, m.conceptId, { status, source: s.source, text: s.text, sentence: s.index });
    }
    for (const v of s.measurements) {
      if (v.comparator === 'between' || v.relative) continue;
      if (v.analyteId === 'blood-pressure' && v.comparator === '=' && v.value2 !== undefined) {
        // "BP 162/94" is also a systolic and a diastolic reading.
        push(values, 'systolic-bp', { analyteId: 'systolic-bp', quantity: 'systolicBP', value: v.value, unit: 'mm[Hg]', canonical: true, source: s.source, text: s.text, sentence: s.index });
        push(values, 'diastolic-bp', { analyteId: 'diastolic-bp', quantity: 'diastolicBP', value: v.value2, unit: 'mm[Hg]', canonical: true, source: s.source, text: s.text, sentence: s.index });
      }
      const canonical = v.canonical !== undefined;
      push(values, v.analyteId, {
        analyteId: v.analyteId,
        ...(v.quantity !== undefined && { quantity: v.quantity }),
        value: v.canonical?.value ?? v.value,
        ...((v.canonical?.value2 ?? v.value2) !== undefined && { value2: v.canonical?.value2 ?? v.value2 }),
        unit: v.canonical?.unit ?? v.unit,
        canonical,
        ...(v.comparator !== '=' && { comparator: v.comparator }),
        source: s.source,
        text: s.text,
        sentence: s.index,
      });
    }
    if (!performance) {
      const e = ECOG_NOTE.exec(s.text);
      const k = KPS_NOTE.exec(s.text);
      if (e) performance = { scale: 'ecog', value: Number(e[1]), source: s.source, text: s.text, sentence: s.index };
      else if (k && Number(k[1]) <= 100) performance = { scale: 'karnofsky', value: Number(k[1]), source: s.source, text: s.text, sentence: s.index };
    }
  }

  const recordedAge = ctx.patient?.age;
  const age: Demographic<number> | undefined = recordedAge
    ? {
        value: recordedAge.years >= 2 ? recordedAge.years : Number((recordedAge.months / 12).toFixed(3)),
        source: ctx.patient?.source ?? 'Patient',
        text: `age ${recordedAge.display} (birth date ${ctx.patient?.birthDate ?? 'recorded'})`,
      }
    : noteAge(sentences);
  const recordedSex = ctx.patient?.sex;
  const sex: Demographic<'female' | 'male'> | undefined =
    recordedSex === 'female' || recordedSex === 'male'
      ? { value: recordedSex, source: ctx.patient?.source ?? 'Patient', text: `administrative sex ${recordedSex}` }
      : noteSex(sentences);

  return {
    context: ctx,
    patientId: ctx.patient?.id ?? null,
    ...(age !== undefined && { age }),
    ...(sex !== undefined && { sex }),
    sentences,
    conditions,
    medications,
    values,
    ...(performance !== undefined && { performance }),
  };
}

/** The retrieval query for a patient: coded conditions first, then the notes (bounded). */
export function profileQueryText(profile: PatientProfile, maxChars = 4000): string {
  const parts: string[] = [];
  const conditions = profile.context.conditions
    .filter((c) => c.activeAtReference !== 'no')
    .map((c) => c.text ?? c.codings[0]?.display)
    .filter((t): t is string => Boolean(t));
  if (conditions.length > 0) parts.push(conditions.join('; '));
  const meds = profile.context.medications.filter((m) => m.isActive).map((m) => m.text ?? m.codings[0]?.display).filter((t): t is string => Boolean(t));
  if (meds.length > 0) parts.push(meds.join('; '));
  for (const s of profile.sentences) parts.push(s.text);
  const text = parts.join('\n');
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
