/**
 * The guideline passages a finding rests on, each quoted in full (PassageQuote), in the order the
 * finding names them. A passage the API names but does not quote (its document edition unknown)
 * is left out: the app quotes nothing it cannot cite.
 */
import type { PassageMatch, PatientEvidence } from '../evidence-api';
import { PassageQuote } from './PassageQuote';

export function PassageList({
  evidence,
  chunkIds,
  matches,
  roles,
  about,
}: {
  evidence: PatientEvidence;
  chunkIds: readonly string[];
  matches: readonly PassageMatch[];
  roles?: Readonly<Record<string, string>>;
  /** What the finding is, for the section's accessible name. */
  about: string;
}) {
  const byId = new Map(evidence.passages.map((p) => [p.chunkId, p]));
  const quoted = [...new Set(chunkIds)].flatMap((id) => {
    const p = byId.get(id);
    return p ? [p] : [];
  });
  if (quoted.length === 0) return null;
  return (
    <section className="passages" aria-label={`Guideline passages for ${about}`}>
      <h4>Guideline</h4>
      {quoted.map((p) => (
        <PassageQuote key={p.chunkId} passage={p} matches={matches} {...(roles?.[p.chunkId] && { role: roles[p.chunkId] })} />
      ))}
    </section>
  );
}
