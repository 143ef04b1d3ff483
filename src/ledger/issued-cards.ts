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

const COLUMNS = [
  'card_uuid',
  'service_id',
  'hook',
  'hook_instance',
  'patient_key',
  'summary',
  'indicator',
  'suggestion_uuids',
  'cairn_version',
  'rule_id',
  'rule_version',
  'guidelines',
  'input_digest',
  'card_digest',
] as const;

/** One entry as a row of issued_cards, in JSON (the whole batch goes as one jsonb parameter). */
function rowJson(e: IssuedCard): Record<(typeof COLUMNS)[number], unknown> {
  return {
    card_uuid: e.cardUuid,
    service_id: e.serviceId,
    hook: e.hook,
    hook_instance: e.hookInstance,
    patient_key: e.patientKey,
    summary: e.summary,
    indicator: e.indicator,
    suggestion_uuids: e.suggestionUuids,
    cairn_version: e.cairnVersion,
    rule_id: e.ruleId,
    rule_version: e.ruleVersion,
    guidelines: e.guidelines,
    input_digest: e.inputDigest,
    card_digest: e.cardDigest,
  };
}

const INSERT_ENTRIES = `INSERT INTO issued_cards (${COLUMNS.join(', ')}) SELECT ${COLUMNS.join(', ')} FROM jsonb_populate_recordset(NULL::issued_cards, $1::jsonb) ON CONFLICT (card_uuid) DO NOTHING`;

/**
 * The batch as ONE jsonb parameter expanded by jsonb_populate_recordset, not 14 parameters a row:
 * on PGlite, binding each parameter is JavaScript on the event loop, and the single parameter cut
 * the insert's CPU time a row by about a fifth (docs/BENCHMARKS.md, "What the card ledger costs").
 */
async function insertEntries(tx: Queryable, entries: readonly IssuedCard[]): Promise<void> {
  // A uuid issued twice would be a bug (they are random); DO NOTHING keeps the first, as feedback saw it.
  await tx.query(INSERT_ENTRIES, [JSON.stringify(entries.map(rowJson))], { statementName: 'cairn_ledger_insert' });
}

interface Row {
  card_uuid: string;
  service_id: string;
  hook: string;
  hook_instance: string;
  issued_at: Date;
  patient_key: string | null;
  summary: string;
  indicator: string;
  suggestion_uuids: string[];
  cairn_version: string | null;
  rule_id: string | null;
  rule_version: string | null;
  guidelines: GuidelineRef[];
  input_digest: string;
  card_digest: string;
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
    guidelines: r.guidelines,
    inputDigest: r.input_digest,
    cardDigest: r.card_digest,
  };
}

/** One issued card by its uuid, whichever service issued it (unknown or expired: undefined). */
export async function issuedCard(db: Queryable, cardUuid: string): Promise<StoredIssuedCard | undefined> {
  const res = await db.query<Row>('SELECT * FROM issued_cards WHERE card_uuid::text = $1', [cardUuid.toLowerCase()]);
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
  record(entries: readonly IssuedCard[]): Promise<void>;
  find(serviceId: string, cardUuids: readonly string[]): Promise<Map<string, StoredIssuedCard>>;
}

/** How long the embedded database gathers ledger rows before one commit (see the constructor). */
export const LEDGER_GATHER_MS_PGLITE = 5;

export class CardLedger implements IssuedCardStore {
  readonly #db: Database;
  readonly #writer: GroupCommit<IssuedCard>;

  constructor(db: Database, options: { gatherMs?: number } = {}) {
    this.#db = db;
    // PGlite writes its files on every commit, on the event loop: a commit per hook call cut the
    // embedded default's throughput by two thirds. Gathering for a few milliseconds lets one
    // commit carry the cards of every call in that window (each call still answers only after
    // its cards are committed). PostgreSQL commits off the event loop: no gathering there.
    this.#writer = new GroupCommit(db, { writeBatch: insertEntries, maxBatch: 200, gatherMs: options.gatherMs ?? (db.kind === 'pglite' ? LEDGER_GATHER_MS_PGLITE : 0) });
  }

  /** Resolves once the entries are committed, together with those of concurrent calls (group-commit.ts). */
  record(entries: readonly IssuedCard[]): Promise<void> {
    return this.#writer.write(entries);
  }

  /** The entries of these card uuids that the service issued (unknown, expired or another service's: absent). */
  async find(serviceId: string, cardUuids: readonly string[], db: Queryable = this.#db): Promise<Map<string, StoredIssuedCard>> {
    if (cardUuids.length === 0) return new Map();
    const res = await db.query<Row>(
      `SELECT * FROM issued_cards WHERE service_id = $1 AND card_uuid::text = ANY($2::text[])`,
      [serviceId, cardUuids.map((u) => u.toLowerCase())],
    );
    return new Map(res.rows.map((r) => [r.card_uuid, fromRow(r)]));
  }

  get(cardUuid: string): Promise<StoredIssuedCard | undefined> {
    return issuedCard(this.#db, cardUuid);
  }

  /** Deletes entries older than the retention; returns how many. */
  async purgeOlderThan(days: number): Promise<number> {
    const res = await this.#db.query(`DELETE FROM issued_cards WHERE issued_at < now() - make_interval(days => $1::int)`, [days]);
    return res.rowCount;
  }

  /** Waits for pending writes (shutdown). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }
}
