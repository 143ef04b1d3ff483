/**
 * The issued-card ledger: every card Cairn answers a hook with, recorded before the answer leaves.
 *
 * Why: feedback names a card only by its uuid, so without a record of issued cards feedback could
 * not be tied to a service, hook call or patient, and feedback for a card Cairn never issued would
 * be stored like any other. The entry also keeps what produced the card (its provenance: Cairn's
 * version, the rule and its version, each quoted guideline's content hash), a digest of the
 * patient data the service read (of the request body as sent, when it carried all of it) and a
 * digest of the card's content, so a reviewer can regenerate the card from the same data and see
 * that it is the same (reproduce.ts). The card's text is not
 * kept: it holds the patient's values, and regenerating it is how a reviewer reads it again.
 *
 * No FHIR id, name or token is stored: the patient appears as a keyed hash (pseudonym.ts). Entries
 * older than the retention setting are deleted (purgeExpired); feedback for them is then refused
 * like feedback for an unknown card.
 */
import { createHash } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { GroupCommit } from '../db/group-commit.js';
import { readProvenance, type GuidelineRef } from '../cards/provenance.js';
import type { Card, HookRequest } from '../hooks/schema.js';

export interface IssuedCard {
  cardUuid: string;
  serviceId: string;
  hook: string;
  hookInstance: string;
  patientKey: string | null;
  summary: string;
  indicator: string;
  suggestionUuids: string[];
  cairnVersion: string | null;
  ruleId: string | null;
  ruleVersion: string | null;
  guidelines: GuidelineRef[];
  /**
   * What the service read: `body:` and the SHA-256 of the request body as sent when the EHR sent
   * all the data (requestBodyDigest), else the SHA-256 of the hook, context and prefetch data as
   * read, fetched data included (inputDigest).
   */
  inputDigest: string;
  /** SHA-256 of the card's content (cardDigest). */
  cardDigest: string;
}

export interface StoredIssuedCard extends IssuedCard {
  issuedAt: Date;
}

/** How the digest of a request body as sent is told apart from a digest of the data (`inputDigest`). */
export const REQUEST_BODY_DIGEST_PREFIX = 'body:';

/**
 * What the service read, when the EHR sent all of it: the request body exactly as it came, bytes
 * and all (`body:` and its SHA-256). Replaying the same request (the EHR's record of the call)
 * gives the same digest; a re-serialised copy of it, with other spacing or key order, does not.
 * Hashing the bytes the body parser has anyway replaces serialising the parsed prefetch again
 * (20 KB of JSON a call), which with its hashing was a sixth of a triage call's CPU in a profile
 * (docs/BENCHMARKS.md).
 */
export function requestBodyDigest(body: Uint8Array | string): string {
  return REQUEST_BODY_DIGEST_PREFIX + createHash('sha256').update(body).digest('hex');
}

/**
 * What the service read when Cairn fetched some of it: the hook, its context and the prefetch
 * data (sent or fetched), as JSON in the order received. Not canonicalised (sorting keys through
 * a 20 KB prefetch cost a millisecond a call): the same request body, or the same FHIR answers,
 * give the same digest.
 */
export function inputDigest(request: Pick<HookRequest, 'hook' | 'context'>, prefetch: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(JSON.stringify({ hook: request.hook, context: request.context, prefetch })).digest('hex');
}

/**
 * Members that differ on every issue of the same card: its uuids, and when its suggested resources
 * were written. Matched in the card's JSON text: a quote inside a JSON string is escaped (\"), so
 * the pattern cannot match text a card quotes. The member goes with its comma, so a card that has
 * it and one that lacks it (a card regenerated outside a hook call has no uuid) read the same.
 */
const PER_ISSUE_MEMBER = /"(?:uuid|recorded|authoredOn|recordedDate)":"[^"]*",|,?"(?:uuid|recorded|authoredOn|recordedDate)":"[^"]*"(?=\})/g;

/**
 * A digest of the card's content from its JSON as sent, without what differs on every issue
 * (PER_ISSUE_MEMBER): the same card made again from the same data, rules and guidelines has the
 * same digest. The hook answer serialises each card once and digests that text (a second
 * serialisation with a replacer cost about 0.15 ms a call for four cards). The ledger keeps this
 * rather than the card: storing 8 to 30 KB of JSON per card cost PGlite about 6 ms a hook call.
 */
export function cardJsonDigest(cardJson: string): string {
  return createHash('sha256').update(cardJson.replace(PER_ISSUE_MEMBER, '')).digest('hex');
}

/** cardDigest of a card object (reproduction, tests): the same as the digest of the JSON it is sent as. */
export function cardDigest(card: Card): string {
  return cardJsonDigest(JSON.stringify(card));
}

/** The ledger entries of one hook answer (pure: the cards must already carry their uuids). */
export function ledgerEntries(opts: {
  serviceId: string;
  request: Pick<HookRequest, 'hook' | 'hookInstance'>;
  patientKey: string | null;
  inputDigest: string;
  cards: readonly Card[];
  /** Each card's JSON as sent, when the caller has it already (the hook answer does): spares a serialisation. */
  cardJson?: readonly string[];
}): IssuedCard[] {
  return opts.cards.map((card, i) => {
    if (!card.uuid) throw new Error('a card must have its uuid before it is recorded');
    const provenance = readProvenance(card);
    return {
      cardUuid: card.uuid,
      serviceId: opts.serviceId,
      hook: opts.request.hook,
      hookInstance: opts.request.hookInstance,
      patientKey: opts.patientKey,
      summary: card.summary,
      indicator: card.indicator,
      suggestionUuids: (card.suggestions ?? []).flatMap((s) => (s.uuid ? [s.uuid.toLowerCase()] : [])),
      cairnVersion: provenance?.cairnVersion ?? null,
      ruleId: provenance?.rule.id ?? null,
      ruleVersion: provenance?.rule.version ?? null,
      guidelines: provenance?.guidelines ?? [],
      inputDigest: opts.inputDigest,
      cardDigest: cardJsonDigest(opts.cardJson?.[i] ?? JSON.stringify(card)),
    };
  });
}

/** What produced a card, stored once under its key (card_provenance, migration 013). */
interface ProvenanceRow {
  key: string;
  cairn_version: string | null;
  rule_id: string | null;
  rule_version: string | null;
  guidelines: GuidelineRef[];
}

/** A card of an answer row (issued_answers.cards): its provenance is named by key (card_provenance). */
interface CardJson {
  card_uuid: string;
  summary: string;
  indicator: string;
  suggestion_uuids: string[];
  provenance: string;
  card_digest: string;
}

/** One hook answer as a row of issued_answers (migration 011): what its cards share, and the cards. */
interface AnswerRow {
  card_uuids: string[];
  service_id: string;
  hook: string;
  hook_instance: string;
  patient_key: string | null;
  input_digest: string;
  cards: CardJson[];
}

/** An answer to record, with the provenance rows its cards name. */
interface AnswerWrite {
  answer: AnswerRow;
  provenance: ProvenanceRow[];
}

/** Keys of provenance already worked out, by the provenance's JSON (a few per rule and corpus version). */
const provenanceKeys = new Map<string, string>();
const MAX_PROVENANCE_KEYS = 1024;

/** 128 bits of SHA-256 of the provenance's JSON: the same provenance always has the same key. */
function provenanceRow(e: IssuedCard): ProvenanceRow {
  const json = JSON.stringify([e.cairnVersion, e.ruleId, e.ruleVersion, e.guidelines]);
  let key = provenanceKeys.get(json);
  if (key === undefined) {
    key = createHash('sha256').update(json).digest('hex').slice(0, 32);
    if (provenanceKeys.size >= MAX_PROVENANCE_KEYS) provenanceKeys.clear();
    provenanceKeys.set(json, key);
  }
  return { key, cairn_version: e.cairnVersion, rule_id: e.ruleId, rule_version: e.ruleVersion, guidelines: e.guidelines };
}

/** Entries of one answer share these; consecutive entries that share them go in one row. */
const sameAnswer = (a: IssuedCard, b: IssuedCard): boolean =>
  a.serviceId === b.serviceId && a.hook === b.hook && a.hookInstance === b.hookInstance && a.patientKey === b.patientKey && a.inputDigest === b.inputDigest;

function answerWrites(entries: readonly IssuedCard[]): AnswerWrite[] {
  const writes: AnswerWrite[] = [];
  let last: IssuedCard | undefined;
  for (const e of entries) {
    // Stored lower-case, as the uuid type prints it: the view casts it back, and lookups compare uuids.
    const uuid = e.cardUuid.toLowerCase();
    const provenance = provenanceRow(e);
    const card: CardJson = {
      card_uuid: uuid,
      summary: e.summary,
      indicator: e.indicator,
      suggestion_uuids: e.suggestionUuids,
      provenance: provenance.key,
      card_digest: e.cardDigest,
    };
    const write = writes.at(-1);
    if (write && last && sameAnswer(last, e)) {
      write.answer.card_uuids.push(uuid);
      write.answer.cards.push(card);
      write.provenance.push(provenance);
    } else {
      writes.push({
        answer: { card_uuids: [uuid], service_id: e.serviceId, hook: e.hook, hook_instance: e.hookInstance, patient_key: e.patientKey, input_digest: e.inputDigest, cards: [card] },
        provenance: [provenance],
      });
    }
    last = e;
  }
  return writes;
}

const ANSWER_COLUMNS = 'card_uuids, service_id, hook, hook_instance, patient_key, input_digest, cards';
const INSERT_ANSWERS = `INSERT INTO issued_answers (${ANSWER_COLUMNS}) SELECT ${ANSWER_COLUMNS} FROM jsonb_populate_recordset(NULL::issued_answers, $1::jsonb)`;
/** The same, with provenance not yet stored, in the same statement (so in the same transaction). */
const INSERT_ANSWERS_AND_PROVENANCE = `WITH provenance AS (
    INSERT INTO card_provenance SELECT * FROM jsonb_populate_recordset(NULL::card_provenance, $2::jsonb) ON CONFLICT (key) DO NOTHING
  )
  ${INSERT_ANSWERS}`;

/**
 * The batch as ONE jsonb parameter expanded by jsonb_populate_recordset, not a parameter a column
 * a row: on PGlite, binding each parameter is JavaScript on the event loop, and the single
 * parameter cut the insert's CPU time a row by about a fifth (docs/BENCHMARKS.md, "What the card
 * ledger costs"). A card uuid issued twice would be a bug (they are random); nothing checks for it.
 * Provenance goes along only the first time this process records it (`stored`, filled after the
 * commit); another instance that stored it first makes ON CONFLICT skip it.
 */
async function insertAnswers(tx: Queryable, writes: readonly AnswerWrite[], stored: Set<string>): Promise<void> {
  const answers = JSON.stringify(writes.map((w) => w.answer));
  const fresh = new Map<string, ProvenanceRow>();
  for (const w of writes) for (const p of w.provenance) if (!stored.has(p.key)) fresh.set(p.key, p);
  if (fresh.size === 0) {
    await tx.query(INSERT_ANSWERS, [answers], { statementName: 'cairn_ledger_insert_answers' });
    return;
  }
  await tx.query(INSERT_ANSWERS_AND_PROVENANCE, [answers, JSON.stringify([...fresh.values()])], { statementName: 'cairn_ledger_insert_answers_provenance' });
  for (const key of fresh.keys()) stored.add(key);
}

/** A row of the view issued_cards: a card, its provenance, and what its answer row holds for all its cards. */
interface Row extends Omit<CardJson, 'provenance'> {
  cairn_version: string | null;
  rule_id: string | null;
  rule_version: string | null;
  guidelines: GuidelineRef[] | null;
  service_id: string;
  hook: string;
  hook_instance: string;
  issued_at: Date;
  patient_key: string | null;
  input_digest: string;
}

function fromRow(r: Row): StoredIssuedCard {
  return {
    cardUuid: r.card_uuid,
    serviceId: r.service_id,
    hook: r.hook,
    hookInstance: r.hook_instance,
    issuedAt: r.issued_at,
    patientKey: r.patient_key,
    summary: r.summary,
    indicator: r.indicator,
    suggestionUuids: r.suggestion_uuids,
    cairnVersion: r.cairn_version,
    ruleId: r.rule_id,
    ruleVersion: r.rule_version,
    guidelines: r.guidelines ?? [],
    inputDigest: r.input_digest,
    cardDigest: r.card_digest,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The uuids worth looking up, lower-case: anything else names no card Cairn issued (and would not cast to uuid). */
const lookupUuids = (cardUuids: readonly string[]): string[] => cardUuids.filter((u) => UUID.test(u)).map((u) => u.toLowerCase());

/**
 * The cards of these uuids, through the answers holding them (the GIN index on card_uuids), then
 * the answer's cards narrowed to those asked for.
 */
const CARDS_BY_UUID = `SELECT * FROM issued_cards
  WHERE answer_id IN (SELECT id FROM issued_answers WHERE card_uuids && $1::uuid[] AND ($2::text IS NULL OR service_id = $2))
    AND card_uuid = ANY($1::uuid[])`;

/** One issued card by its uuid, whichever service issued it (unknown or expired: undefined). */
export async function issuedCard(db: Queryable, cardUuid: string): Promise<StoredIssuedCard | undefined> {
  const uuids = lookupUuids([cardUuid]);
  if (uuids.length === 0) return undefined;
  const res = await db.query<Row>(CARDS_BY_UUID, [uuids, null]);
  return res.rows[0] && fromRow(res.rows[0]);
}

/**
 * The cards issued about one patient (by their pseudonymous key), newest first: what an app shows
 * beside the patient's evidence, with the card's feedback buttons. Ties in issue time (the cards of
 * one hook answer) keep a stable order by uuid.
 */
export async function issuedCardsOfPatient(db: Queryable, patientKey: string, opts: { serviceId?: string; limit: number }): Promise<StoredIssuedCard[]> {
  const res = await db.query<Row>(
    `SELECT * FROM issued_cards
      WHERE patient_key = $1 AND ($2::text IS NULL OR service_id = $2)
      ORDER BY issued_at DESC, card_uuid
      LIMIT $3`,
    [patientKey, opts.serviceId ?? null, opts.limit],
  );
  return res.rows.map(fromRow);
}

/** What the HTTP layer needs of the ledger (tests give an in-memory one). */
export interface IssuedCardStore {
  /** `othersInProgress`: whether other hook calls are under way, whose cards may share the commit (CardLedger.record). */
  record(entries: readonly IssuedCard[], options?: { othersInProgress?: boolean }): Promise<void>;
  find(serviceId: string, cardUuids: readonly string[]): Promise<Map<string, StoredIssuedCard>>;
}

/** How long a hook answer's ledger rows wait for other answers' to share a commit (see the constructor). */
export const LEDGER_GATHER_MS = 5;

export class CardLedger implements IssuedCardStore {
  readonly #db: Database;
  readonly #writer: GroupCommit<AnswerWrite>;
  /** Provenance keys this process has committed (insertAnswers). */
  readonly #storedProvenance = new Set<string>();

  constructor(db: Database, options: { gatherMs?: number } = {}) {
    this.#db = db;
    // A statement has a fixed cost: on PGlite about half a millisecond of its thread, and a commit
    // per hook call cut the embedded default's throughput by two thirds; on PostgreSQL a round
    // trip, the server's work and a WAL flush, on the same cores as the hooks. Gathering for a few
    // milliseconds lets one commit carry the cards of every call in that window (each call still
    // answers only after its cards are committed).
    this.#writer = new GroupCommit(db, { writeBatch: (tx, writes) => insertAnswers(tx, writes, this.#storedProvenance), maxBatch: 200, gatherMs: options.gatherMs ?? LEDGER_GATHER_MS });
  }

  /**
   * Resolves once the entries are committed, together with those of concurrent calls
   * (group-commit.ts). With `othersInProgress` false (no other hook call under way) they do not
   * wait for the gathering window: nobody is coming to share the commit, and a lone EHR's calls
   * answered 5 ms sooner each (docs/BENCHMARKS.md, stop 36).
   */
  record(entries: readonly IssuedCard[], options: { othersInProgress?: boolean } = {}): Promise<void> {
    return this.#writer.write(answerWrites(entries), { expectCompany: options.othersInProgress !== false });
  }

  /** The entries of these card uuids that the service issued (unknown, expired or another service's: absent). */
  async find(serviceId: string, cardUuids: readonly string[], db: Queryable = this.#db): Promise<Map<string, StoredIssuedCard>> {
    const uuids = lookupUuids(cardUuids);
    if (uuids.length === 0) return new Map();
    const res = await db.query<Row>(CARDS_BY_UUID, [uuids, serviceId]);
    return new Map(res.rows.map((r) => [r.card_uuid, fromRow(r)]));
  }

  get(cardUuid: string): Promise<StoredIssuedCard | undefined> {
    return issuedCard(this.#db, cardUuid);
  }

  /** Deletes entries older than the retention; returns how many cards they held. */
  async purgeOlderThan(days: number): Promise<number> {
    const res = await this.#db.query<{ cards: number }>(
      `WITH gone AS (DELETE FROM issued_answers WHERE issued_at < now() - make_interval(days => $1::int) RETURNING cardinality(card_uuids) AS cards)
       SELECT COALESCE(sum(cards), 0)::int AS cards FROM gone`,
      [days],
    );
    return res.rows[0]?.cards ?? 0;
  }

  /** Waits for pending writes (shutdown). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }
}
