/**
 * What a chief complaint says is absent. Triage free text carries pertinent negatives ("no chest
 * pain, here for a refill", "denies SI, insomnia"), and the resource table reads a complaint as a
 * bag of words, so "no chest pain" matched the chest pain row and was called high risk. Read the
 * way NegEx reads a clinical sentence (Chapman et al., J Biomed Inform 2001;34:301-310): a negation
 * cue negates what follows it up to the end of its clause (a comma, semicolon, colon or full stop,
 * or "but", "however", "except").
 *
 * Only unambiguous cues are used ("no", "denies", "negative for"): "not" and "without" are left
 * alone, because "not able to pass urine" or "unable to walk without help" state a finding. "No"
 * before a lost function ("no vision in the left eye", "no movement of the right arm", "no pulse")
 * states the loss, not an absence, and is kept. Pure.
 */

/** A function whose absence is itself the finding: "no vision" is blindness, not a pertinent negative. */
const LOST_FUNCTION = 'vision|sight|sensation|feeling|movement|movements|urine|urination|bowel|pulse|pulses|breathing|response|speech|strength|power|hearing';

const NEGATED = new RegExp(
  String.raw`\b(?:no|denies|denied|denying|negative for)\s+(?!(?:${LOST_FUNCTION})\b)[^,;.:]*?(?=\s*(?:[,;.:]|\bbut\b|\bhowever\b|\bexcept\b|$))`,
  'gi',
);

/** The complaint with its negated clauses taken out, spaces tidied. */
export function withoutNegatedFindings(complaint: string): string {
  return complaint.replace(NEGATED, ' ').replace(/\s+/g, ' ').trim();
}
