/**
 * Forward-only schema migrations, applied in order at start-up by `migrate(db)`.
 *
 * To change the schema, APPEND a migration to `migrations` with the next number. Never edit or
 * reorder one that has shipped: databases that already applied it will not run it again.
 * The SQL runs on PostgreSQL 15+ and on PGlite (which is PostgreSQL 18), so stick to what 15 has.
 */
import type { Database, Transaction } from './database.js';

export interface Migration {
  /** 'NNN_snake_case', strictly increasing. */
  name: string;
  /** One or more statements; runs in its own transaction. */
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    name: '001_extensions',
    sql: `CREATE EXTENSION IF NOT EXISTS vector;`,
  },
  {
    name: '002_feedback',
    sql: `
      CREATE TABLE cds_feedback (
        id bigserial PRIMARY KEY,
        service_id text NOT NULL,
        card_uuid uuid NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
        outcome_timestamp timestamptz NOT NULL,
        accepted_suggestions jsonb,
        override_reason jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        hook_instance text NULL,
        -- Makes feedback idempotent: a client re-sending the same outcome for a card stores it once.
        CONSTRAINT cds_feedback_idempotency UNIQUE (service_id, card_uuid, outcome, outcome_timestamp)
      );
      CREATE INDEX cds_feedback_card_uuid_idx ON cds_feedback (card_uuid);
    `,
  },
  {
    // The guideline knowledge base (src/knowledge). The embedding column has no dimension here:
    // it follows the configured embedding model, and src/search/embedding-model.ts sets it (and
    // builds the HNSW index) when the model is first recorded or changes.
    name: '003_guidelines',
    sql: `
      CREATE TABLE guideline_documents (
        id text PRIMARY KEY,
        title text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('verbatim', 'summary')),
        url text,
        citation text NOT NULL,
        topics text[] NOT NULL DEFAULT '{}',
        -- 'system|code', e.g. 'snomed|38341003': one GIN-indexed array serves every code filter.
        code_keys text[] NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL,
        source_path text NOT NULL,
        source_format text NOT NULL,
        content_hash text NOT NULL,
        body text NOT NULL,
        ingested_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX guideline_documents_topics_idx ON guideline_documents USING gin (topics);
      CREATE INDEX guideline_documents_code_keys_idx ON guideline_documents USING gin (code_keys);

      CREATE TABLE guideline_chunks (
        id text PRIMARY KEY,
        document_id text NOT NULL REFERENCES guideline_documents (id) ON DELETE CASCADE,
        anchor text NOT NULL,
        ordinal integer NOT NULL,
        heading_path text[] NOT NULL,
        grade text,
        grade_system text,
        -- Offsets of text in the document body: body[start_offset, end_offset) = text.
        start_offset integer NOT NULL,
        end_offset integer NOT NULL,
        text text NOT NULL,
        -- Title and heading path: indexed and embedded with the text, never quoted.
        context text NOT NULL,
        content_hash text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english'::regconfig, context), 'A') ||
          setweight(to_tsvector('english'::regconfig, text), 'B')
        ) STORED,
        embedding vector,
        CHECK (end_offset > start_offset)
      );
      CREATE INDEX guideline_chunks_document_idx ON guideline_chunks (document_id, ordinal);
      CREATE INDEX guideline_chunks_tsv_idx ON guideline_chunks USING gin (tsv);

      -- How many chunks each lexeme occurs in (refreshed by ingest): full-text search leaves out the
      -- commonest words of a query when they would make it rank a large part of the corpus.
      CREATE TABLE guideline_terms (
        lexeme text PRIMARY KEY,
        chunks integer NOT NULL
      );

      -- The model that produced every stored embedding (one row). Vectors of two models are never mixed.
      CREATE TABLE guideline_embedding_model (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        model_id text NOT NULL,
        dimension integer NOT NULL CHECK (dimension > 0),
        recorded_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    // Clinical trials for trial matching (src/services/trials). One row per trial (its FHIR
    // ResearchStudy, searchable text and a trial embedding) and one row per atomic eligibility
    // criterion (parsed structure and an embedding). As for the guidelines, the embedding columns
    // get their dimension, and the trial vector its HNSW index, when the model is first recorded.
    name: '004_trials',
    sql: `
      CREATE TABLE trials (
        nct_id text PRIMARY KEY CHECK (nct_id ~ '^NCT[0-9]{8}$'),
        title text NOT NULL,
        conditions text[] NOT NULL DEFAULT '{}',
        -- 'system|code' of conditions matched to Cairn value sets.
        condition_codes text[] NOT NULL DEFAULT '{}',
        phase text,
        -- ClinicalTrials.gov overall status as published (RECRUITING, COMPLETED, ...).
        status text NOT NULL,
        sex text NOT NULL CHECK (sex IN ('all', 'female', 'male')),
        min_age_years real,
        max_age_years real,
        research_study jsonb NOT NULL,
        record jsonb NOT NULL,
        source text NOT NULL,
        content_hash text NOT NULL,
        -- What the trial is about (title, conditions, keywords) and the rest worth searching
        -- (summary, inclusion criteria); exclusion text is left out, see store.ts.
        focus_text text NOT NULL,
        search_text text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english'::regconfig, focus_text), 'A') ||
          setweight(to_tsvector('english'::regconfig, search_text), 'B')
        ) STORED,
        embedding vector,
        imported_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX trials_tsv_idx ON trials USING gin (tsv);
      CREATE INDEX trials_status_idx ON trials (status);
      CREATE INDEX trials_condition_codes_idx ON trials USING gin (condition_codes);

      CREATE TABLE trial_criteria (
        nct_id text NOT NULL REFERENCES trials (nct_id) ON DELETE CASCADE,
        ordinal integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('inclusion', 'exclusion')),
        origin text NOT NULL CHECK (origin IN ('text', 'structured-field', 'conditions-field')),
        text text NOT NULL,
        context text,
        -- Items under a "one of the following" lead-in share a group: any one of them suffices.
        alternative_group text,
        category text NOT NULL,
        parsed jsonb NOT NULL,
        embedding vector,
        PRIMARY KEY (nct_id, ordinal)
      );

      -- How many trials each lexeme occurs in (refreshed by import), as guideline_terms.
      CREATE TABLE trial_terms (
        lexeme text PRIMARY KEY,
        trials integer NOT NULL
      );

      CREATE TABLE trial_embedding_model (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        model_id text NOT NULL,
        dimension integer NOT NULL CHECK (dimension > 0),
        recorded_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    // Coordinator screenings (src/services/trials/screening): one row per screening of a list of patients against
    // one trial, and one row per (screening, patient) that is at once the job queue item and its
    // result. Workers claim pending items with FOR UPDATE SKIP LOCKED and a lease (see
    // src/services/trials/screening/store.ts for why an own queue rather than pg-boss); a result is written in the
    // same transaction as its status change and the screening's counts.
    name: '005_screenings',
    sql: `
      CREATE TABLE screenings (
        id uuid PRIMARY KEY,
        nct_id text NOT NULL REFERENCES trials (nct_id),
        -- The FHIR server the patients' data are read from (the service's configured one).
        fhir_server text NOT NULL,
        -- How the patients were named: an explicit list, or a FHIR Group (resolved at creation).
        source jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed')),
        total integer NOT NULL CHECK (total > 0),
        done integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        error text,
        -- Idempotency: the authenticated client (JWT iss, '' without authentication) and its key.
        client_iss text NOT NULL DEFAULT '',
        client_key text,
        request_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CHECK (done + failed <= total)
      );
      CREATE UNIQUE INDEX screenings_client_key_idx ON screenings (client_iss, client_key) WHERE client_key IS NOT NULL;

      CREATE TABLE screening_patients (
        screening_id uuid NOT NULL REFERENCES screenings (id) ON DELETE CASCADE,
        -- Position in the requested list: results are listed in request order.
        ordinal integer NOT NULL,
        patient_id text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        -- Queue bookkeeping: which worker holds the item and until when; attempts so far.
        claimed_by text,
        claimed_at timestamptz,
        lease_expires_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        -- The result (status done): category and the criterion table.
        category text CHECK (category IN ('eligible', 'excluded', 'irrelevant', 'unknown')),
        criteria jsonb,
        summary text,
        error text,
        finished_at timestamptz,
        PRIMARY KEY (screening_id, ordinal),
        UNIQUE (screening_id, patient_id),
        CHECK ((status = 'done') = (category IS NOT NULL AND criteria IS NOT NULL))
      );
      -- What a claim scans: the pending items only.
      CREATE INDEX screening_patients_pending_idx ON screening_patients (screening_id, ordinal) WHERE status = 'pending';
      CREATE INDEX screenings_open_idx ON screenings (created_at) WHERE status <> 'completed';
    `,
  },
  {
    // DELETE /screenings/{id}: a cancelled screening starts no more patients (claims skip it);
    // patients already being screened may finish, and every result stays readable.
    name: '006_screening_cancel',
    sql: `
      ALTER TABLE screenings DROP CONSTRAINT screenings_status_check;
      ALTER TABLE screenings ADD CONSTRAINT screenings_status_check CHECK (status IN ('queued', 'running', 'completed', 'cancelled'));
      ALTER TABLE screenings ADD COLUMN cancelled_at timestamptz;
    `,
  },
  {
    // Every card Cairn issues (src/ledger/issued-cards.ts), so feedback can be tied to its card and
    // a card reproduced from its provenance; and the audit trail of calls (src/audit/). No FHIR
    // id, name or token in either: patients appear only as a keyed hash (src/ledger/pseudonym.ts).
    name: '007_card_ledger_audit',
    sql: `
      CREATE TABLE cairn_secrets (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE issued_cards (
        card_uuid uuid PRIMARY KEY,
        service_id text NOT NULL,
        hook text NOT NULL,
        hook_instance text NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now(),
        patient_key text,
        summary text NOT NULL,
        indicator text NOT NULL,
        suggestion_uuids jsonb NOT NULL DEFAULT '[]',
        cairn_version text,
        rule_id text,
        rule_version text,
        guidelines jsonb NOT NULL DEFAULT '[]',
        input_digest text NOT NULL,
        card_digest text NOT NULL
      );
      CREATE INDEX issued_cards_issued_at_idx ON issued_cards (issued_at);
      CREATE INDEX issued_cards_service_idx ON issued_cards (service_id, issued_at);
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        method text NOT NULL,
        route text NOT NULL,
        status integer NOT NULL,
        outcome text NOT NULL,
        issuer text,
        subject text,
        service_id text,
        hook_instance text,
        patient_key text,
        cards integer,
        entity text,
        duration_ms double precision NOT NULL
      );
      CREATE INDEX audit_events_recorded_at_idx ON audit_events (recorded_at);
    `,
  },
  {
    // GET /api/patients/{id}/cards: one patient's cards, newest first, without reading the whole
    // ledger (it keeps every card of the retention period).
    name: '008_issued_cards_by_patient',
    sql: `
      CREATE INDEX issued_cards_patient_idx ON issued_cards (patient_key, issued_at DESC) WHERE patient_key IS NOT NULL;
    `,
  },
  {
    // A trial's status is only as current as the record it was read from (#19): when
    // ClinicalTrials.gov last posted a change to it, and when Cairn read it there. fetched_at is
    // kept apart from the record (and its content hash) so that a refresh that finds a record
    // unchanged moves the date without rewriting the trial. Trials imported before: the snapshot
    // date their source names ("…ctgov_xml_2023-02-03"), else when they were imported.
    name: '009_trial_status_dates',
    sql: `
      ALTER TABLE trials ADD COLUMN last_update_posted date;
      ALTER TABLE trials ADD COLUMN fetched_at timestamptz;
      UPDATE trials SET
        last_update_posted = CASE WHEN record->>'lastUpdatePosted' ~ '^\\d{4}-\\d{2}-\\d{2}$' THEN (record->>'lastUpdatePosted')::date END,
        fetched_at = COALESCE(
          CASE WHEN source ~ '\\d{4}-\\d{2}-\\d{2}$' THEN (substring(source from '(\\d{4}-\\d{2}-\\d{2})$') || 'T00:00:00Z')::timestamptz END,
          imported_at);
      ALTER TABLE trials ALTER COLUMN fetched_at SET NOT NULL;
      ALTER TABLE trials ALTER COLUMN fetched_at SET DEFAULT now();
    `,
  },
  {
    // The trial store's version for the retrieval cache (services/trials/store/retriever.ts): every
    // write of a trial sets imported_at, so max(imported_at) moves with each import or status
    // change, and this index answers it without reading the table.
    name: '010_trials_imported_at',
    sql: `
      CREATE INDEX trials_imported_at_idx ON trials (imported_at);
    `,
  },
  {
    // The ledger's write is on every hook answer's path, and on a 2-core machine it cost a sixth
    // of a hook call (#17, docs/BENCHMARKS.md). One row per answer instead of one per card (the
    // diagnosis answer has four), and fewer indexes to keep: the cards of an answer go in one
    // jsonb array, found by their uuids through a GIN index on card_uuids (fastupdate off: no
    // pending list for a database without autovacuum to flush in the middle of a hook's insert);
    // issue time through BRIN (rows arrive in time order), which serves retention and analytics
    // ranges at almost no write cost. The view issued_cards keeps one row per card, with the
    // columns the table had, for every reader.
    name: '011_issued_answers',
    sql: `
      CREATE TABLE issued_answers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        card_uuids uuid[] NOT NULL,
        service_id text NOT NULL,
        hook text NOT NULL,
        hook_instance text NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now(),
        patient_key text,
        input_digest text NOT NULL,
        cards jsonb NOT NULL
      );
      INSERT INTO issued_answers (card_uuids, service_id, hook, hook_instance, issued_at, patient_key, input_digest, cards)
        SELECT ARRAY[card_uuid], service_id, hook, hook_instance, issued_at, patient_key, input_digest,
               jsonb_build_array(jsonb_build_object(
                 'card_uuid', card_uuid, 'summary', summary, 'indicator', indicator, 'suggestion_uuids', suggestion_uuids,
                 'cairn_version', cairn_version, 'rule_id', rule_id, 'rule_version', rule_version,
                 'guidelines', guidelines, 'card_digest', card_digest))
          FROM issued_cards ORDER BY issued_at, card_uuid;
      DROP TABLE issued_cards;
      CREATE INDEX issued_answers_card_uuids_idx ON issued_answers USING gin (card_uuids) WITH (fastupdate = off);
      CREATE INDEX issued_answers_issued_at_idx ON issued_answers USING brin (issued_at);
      CREATE INDEX issued_answers_patient_idx ON issued_answers (patient_key, issued_at DESC) WHERE patient_key IS NOT NULL;
      CREATE VIEW issued_cards AS
        SELECT a.id AS answer_id, (c.card->>'card_uuid')::uuid AS card_uuid, a.service_id, a.hook, a.hook_instance,
               a.issued_at, a.patient_key, c.card->>'summary' AS summary, c.card->>'indicator' AS indicator,
               c.card->'suggestion_uuids' AS suggestion_uuids, c.card->>'cairn_version' AS cairn_version,
               c.card->>'rule_id' AS rule_id, c.card->>'rule_version' AS rule_version, c.card->'guidelines' AS guidelines,
               a.input_digest, c.card->>'card_digest' AS card_digest
          FROM issued_answers a CROSS JOIN LATERAL jsonb_array_elements(a.cards) AS c(card);
    `,
  },
  {
    // The answers to the cards' fixed guideline questions (knowledge/fixed-answers.ts), per corpus
    // version: computed once per version, not once per process, so the first hooks after a
    // restart do not each wait for live searches (a diagnosis call then missed its deadline and
    // answered with some of its cards). The questions asked under earlier versions are what a new
    // version is warmed with.
    name: '012_fixed_guideline_answers',
    sql: `
      CREATE TABLE fixed_guideline_answers (
        corpus_version text NOT NULL,
        question_key text NOT NULL,
        query text NOT NULL,
        options jsonb NOT NULL,
        hits jsonb NOT NULL,
        answered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (corpus_version, question_key)
      );
    `,
  },
  {
    // What produced a card (Cairn's version, the rule and its version, each quoted guideline's id,
    // version and content hash) is the same for every card of a rule and corpus version, and it was
    // about a third of a diagnosis answer's ledger row. It is now kept once here, under a digest of
    // itself, and a card names it by that key (issued-cards.ts): on PGlite the insert's cost follows
    // the bytes written (docs/BENCHMARKS.md). Rows are never deleted (there are a few per rule and
    // corpus version); answers recorded before keep theirs inline, which the view still reads.
    name: '013_card_provenance',
    sql: `
      CREATE TABLE card_provenance (
        key text PRIMARY KEY,
        cairn_version text,
        rule_id text,
        rule_version text,
        guidelines jsonb NOT NULL
      );
      CREATE OR REPLACE VIEW issued_cards AS
        SELECT a.id AS answer_id, (c.card->>'card_uuid')::uuid AS card_uuid, a.service_id, a.hook, a.hook_instance,
               a.issued_at, a.patient_key, c.card->>'summary' AS summary, c.card->>'indicator' AS indicator,
               c.card->'suggestion_uuids' AS suggestion_uuids,
               CASE WHEN c.card ? 'provenance' THEN p.cairn_version ELSE c.card->>'cairn_version' END AS cairn_version,
               CASE WHEN c.card ? 'provenance' THEN p.rule_id ELSE c.card->>'rule_id' END AS rule_id,
               CASE WHEN c.card ? 'provenance' THEN p.rule_version ELSE c.card->>'rule_version' END AS rule_version,
               CASE WHEN c.card ? 'provenance' THEN p.guidelines ELSE c.card->'guidelines' END AS guidelines,
               a.input_digest, c.card->>'card_digest' AS card_digest
          FROM issued_answers a CROSS JOIN LATERAL jsonb_array_elements(a.cards) AS c(card)
          LEFT JOIN card_provenance p ON p.key = c.card->>'provenance';
    `,
  },
];

export interface MigrateResult {
  /** Migrations this call applied, in order. */
  applied: string[];
  /** Recorded in the database but unknown to this code: a newer version has run against it. */
  unknown: string[];
}

// Arbitrary constant shared by every Cairn instance; PGlite accepts the same call, so both backends
// run the same SQL.
const MIGRATION_LOCK_KEY = 0x6361726e; // 'carn'
const NAME_PATTERN = /^\d{3}_[a-z0-9_]+$/;

export function validateMigrations(list: readonly Migration[]): void {
  let previous = '';
  for (const m of list) {
    if (!NAME_PATTERN.test(m.name)) throw new Error(`migration name '${m.name}' must look like 001_snake_case`);
    if (m.name <= previous) throw new Error(`migration '${m.name}' must come after '${previous}' (names strictly increasing)`);
    if (!m.sql.trim()) throw new Error(`migration '${m.name}' has no SQL`);
    previous = m.name;
  }
}

async function lock(tx: Transaction): Promise<void> {
  // Held until the transaction ends: instances starting together apply each migration once,
  // and the loser sees it recorded when it gets the lock.
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
}

export async function migrate(db: Database, list: readonly Migration[] = migrations): Promise<MigrateResult> {
  validateMigrations(list);
  const recorded = await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const res = await tx.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    return new Set(res.rows.map((r) => r.name));
  });

  const known = new Set(list.map((m) => m.name));
  const unknown = [...recorded].filter((name) => !known.has(name));
  const applied: string[] = [];
  for (const m of list) {
    if (recorded.has(m.name)) continue;
    const ran = await db.transaction(async (tx) => {
      await lock(tx);
      // Another instance may have applied it while we waited for the lock.
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [m.name]);
      if (done.rowCount > 0) return false;
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new Error(`migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [m.name]);
      return true;
    });
    if (ran) applied.push(m.name);
  }
  return { applied, unknown };
}
