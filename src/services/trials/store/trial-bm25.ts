/**
 * The trial store's BM25 index (src/search/bm25.ts over every stored trial's whole text), one per
 * store version. Building it reads every record (about 1 s for 2,000 trials on PGlite); a query is
 * then a walk over its words' postings, in memory, with no database call. The version is what the
 * retriever's search cache is keyed by (the latest imported_at, which every import and status
 * change moves, and the number of trials, which a deletion changes): a new version builds a new
 * index, and calls meanwhile share the build.
 */
import type { Queryable } from '../../../db/database.js';
import { Bm25Index, bm25Tokens } from '../../../search/bm25.js';
import type { TrialRecord } from '../matching/trial-record.js';

/**
 * The text BM25 sees for a trial: everything the record says (titles, conditions, keywords,
 * interventions, summary, the full eligibility text). Unlike the full-text index, exclusion text
 * is in: on the development sets a trial's exclusions name the conditions its population has
 * (BM25 over the whole record is the evaluation's baseline, docs/EVALUATION.md).
 */
export function trialBm25Text(r: Pick<TrialRecord, 'title' | 'officialTitle' | 'conditions' | 'keywords' | 'interventions' | 'summary' | 'eligibilityText' | 'inclusionText' | 'exclusionText'>): string {
  return [r.title, r.officialTitle, r.conditions.join(' '), r.keywords.join(' '), r.interventions.map((i) => i.name).join(' '), r.summary, r.eligibilityText || `${r.inclusionText}\n${r.exclusionText}`]
    .filter(Boolean)
    .join('\n');
}

/** What a trial is about, as its record says it: titles, conditions, keywords and the summary (no eligibility text, no interventions). */
export function trialAboutText(r: Pick<TrialRecord, 'title' | 'officialTitle' | 'conditions' | 'keywords' | 'summary'>): string {
  return [r.title, r.officialTitle, r.conditions.join(' '), r.keywords.join(' '), r.summary].filter(Boolean).join('\n');
}

/** The store's version: changes with any import, status change or deletion. */
export async function trialStoreVersion(db: Queryable): Promise<string> {
  const res = await db.query<{ at: Date | null; n: number }>('SELECT max(imported_at) AS at, count(*)::int AS n FROM trials');
  const row = res.rows[0];
  return `${row?.at?.toISOString() ?? 'none'}/${Number(row?.n ?? 0)}`;
}

export interface TrialBm25 {
  version: string;
  index: Bm25Index;
  /** Each indexed trial's overall status (the retriever's status filter). */
  statuses: ReadonlyMap<string, string>;
  /** Each trial's BM25 words of what it is about (trialAboutText): the words a card may quote as shared (matching/shared-words.ts). */
  about: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Builds the index of the trials stored now, labelled with `version` (read before, so a write meanwhile only makes the next call rebuild). */
export async function buildTrialBm25(db: Queryable, version: string): Promise<TrialBm25> {
  const res = await db.query<{ nct_id: string; status: string; record: TrialRecord }>('SELECT nct_id, status, record FROM trials ORDER BY nct_id');
  const statuses = new Map(res.rows.map((r) => [r.nct_id, r.status]));
  const index = new Bm25Index(res.rows.map((r) => ({ id: r.nct_id, text: trialBm25Text(r.record) })));
  const about = new Map(res.rows.map((r) => [r.nct_id, new Set(bm25Tokens(trialAboutText(r.record)))]));
  return { version, index, statuses, about };
}

/** The index for the store's current version: built on the first call of a version, shared by concurrent calls, replaced when the version moves. */
export class TrialBm25Cache {
  readonly #db: Queryable;
  #current: { version: string; built: Promise<TrialBm25> } | undefined;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async forVersion(version: string): Promise<TrialBm25> {
    if (this.#current?.version !== version) {
      const built = buildTrialBm25(this.#db, version);
      const entry = { version, built };
      this.#current = entry;
      built.catch(() => {
        if (this.#current === entry) this.#current = undefined;
      });
    }
    return this.#current.built;
  }

  async current(): Promise<TrialBm25> {
    return this.forVersion(await trialStoreVersion(this.#db));
  }
}
