/**
 * screening/ is the coordinator's side of trial matching: one trial, many patients. requests.ts
 * starts and reads screenings (for src/http/screenings.ts), store.ts is their SQL job queue, this
 * worker runs it, screen-patient.ts screens one patient with the matcher, result.ts (pure) turns
 * a criterion table into the patient's result.
 *
 * The screening worker, in the server process: claims pending patients from the queue (store.ts)
 * with bounded concurrency, screens each (screen-patient.ts) and stores the result. It starts by
 * taking whatever a previous run left unfinished (pending items, and items whose lease expired),
 * so a restarted server resumes its screenings with no step of its own.
 *
 * Throughput: the queue is read and written in batches, not per patient. Claims take up to
 * `concurrency` patients at once (the ones not started yet wait in memory, under their lease,
 * for a free slot; before one starts, its screening is checked not to have been cancelled
 * meanwhile), and results are stored in batches (batches.ts): a result is written as soon as no
 * write is in progress, and those that finish during a write go together in the next one, each
 * batch one statement with the screening's count. So a lone result is visible at once, and
 * under load a write carries many. A crash loses nothing: a claimed patient whose result was not
 * stored yet is still pending under its lease, and is screened again once the lease expires,
 * exactly as a patient in progress.
 *
 * FHIR credentials: the worker reads only from the FHIR server the service is configured with
 * (CAIRN_SCREENING_FHIR_URL, with its own token CAIRN_SCREENING_FHIR_TOKEN). A CDS Hooks
 * `fhirAuthorization` token is short-lived and must never be stored, and a token kept only in
 * memory would be lost on a restart, which would leave resumed screenings unable to read anything.
 * `gatewayFor` maps a screening's recorded FHIR server to a gateway, or to undefined when it is
 * not (or no longer) the configured one: those screenings fail with that reason.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../../db/database.js';
import type { FhirGateway } from '../../../fhir/gateway.js';
import { progress } from '../../../progress.js';
import type { TrialMatcher } from '../match.js';
import { loadTrial, type StoredTrial } from '../store/trial-store.js';
import { createBatcher } from './batches.js';
import { screenPatient, type CriterionRefiner } from './screen-patient.js';
import {
  cancelledScreenings,
  claimItems,
  completeItems,
  countUnfinished,
  failItem,
  failScreening,
  releaseClaims,
  releaseItems,
  type ClaimedItem,
  type Completion,
} from './store.js';

export interface ScreeningWorkerConfig {
  /** Patients screened at once. */
  concurrency: number;
  /** How long a claim is held; a crashed worker's items are taken again after it. */
  leaseMs: number;
  /** Attempts per patient before a transient error fails it for good. */
  maxAttempts: number;
  /** How often to look for work when the queue was empty. */
  pollMs?: number;
}

export interface ScreeningWorkerDeps {
  db: Database;
  matcher: Pick<TrialMatcher, 'preparePatient' | 'judge'>;
  /** Language-model verdicts for criteria left unknown (CAIRN_LLM); absent: structured judgements only. */
  refine?: CriterionRefiner;
  gatewayFor: (fhirServer: string) => FhirGateway | undefined;
  config: ScreeningWorkerConfig;
  log: Logger;
}

export interface ScreeningWorker {
  /** Looks for work now (after a screening was created) instead of at the next poll. */
  wake(): void;
  /** Stops claiming, waits for the patients in progress, and gives back unfinished claims. */
  stop(): Promise<void>;
}

const DEFAULT_POLL_MS = 1000;
/** Results stored per statement at most; a result waits for a write in progress, not for others to come. */
const RESULT_BATCH = 64;
const RESULT_DELAY_MS = 0;
/** Back-off before retrying a patient after a transient error: 2 s, 4 s, 8 s … capped at 60 s. */
const RETRY_BASE_MS = 2000;
const RETRY_MAX_MS = 60_000;

export function startScreeningWorker(deps: ScreeningWorkerDeps): ScreeningWorker {
  const { db, log, config } = deps;
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pollMs = config.pollMs ?? DEFAULT_POLL_MS;
  // A patient's work must end well within its lease, or another worker could take it meanwhile.
  const itemDeadlineMs = Math.max(1000, Math.floor(config.leaseMs / 2));
  const trials = new Map<string, Promise<StoredTrial | undefined>>();
  const inFlight = new Set<Promise<void>>();
  /** Claimed, not started yet: taken in order as slots free up. */
  let claimedQueue: ClaimedItem[] = [];
  const stored = progress({ log, what: 'screened patients stored' });
  const results = createBatcher<Completion>({
    maxBatch: RESULT_BATCH,
    maxDelayMs: RESULT_DELAY_MS,
    write: async (batch) => {
      try {
        const written = await completeItems(db, batch);
        batch.forEach((c, i) => {
          if (!written[i]) log.warn({ screening: c.item.screeningId, ordinal: c.item.ordinal }, 'screening result discarded: the claim was lost (lease expired)');
        });
        stored.advance(written.filter(Boolean).length);
      } catch (err) {
        // Not stored: the patients stay pending under their claims and are screened again once the leases expire.
        log.error({ patients: batch.length, err: { message: (err as Error).message } }, 'storing screening results failed');
      }
    },
  });
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeUp: (() => void) | undefined;
  const stopController = new AbortController();

  const trialFor = (nctId: string): Promise<StoredTrial | undefined> => {
    let t = trials.get(nctId);
    if (!t) {
      t = loadTrial(db, nctId);
      trials.set(nctId, t);
      t.catch(() => trials.delete(nctId));
    }
    return t;
  };

  const process1 = async (item: ClaimedItem): Promise<void> => {
    const trial = await trialFor(item.nctId);
    if (!trial) {
      await failScreening(db, item.screeningId, `trial ${item.nctId} is no longer in the trial store`);
      return;
    }
    const gateway = deps.gatewayFor(item.fhirServer);
    if (!gateway) {
      await failScreening(db, item.screeningId, 'the FHIR server this screening reads from is not the one Cairn is configured with (CAIRN_SCREENING_FHIR_URL)');
      return;
    }
    const signal = AbortSignal.any([AbortSignal.timeout(itemDeadlineMs), stopController.signal]);
    let outcome;
    try {
      outcome = await screenPatient({ patientId: item.patientId, trial, gateway, matcher: deps.matcher, ...(deps.refine && { refine: deps.refine }), signal });
    } catch (err) {
      outcome = { ok: false as const, kind: 'transient' as const, error: `screening failed: ${(err as Error).message}` };
    }
    if (stopping && !outcome.ok) return; // interrupted by stop(): released below, not counted as a failure
    if (outcome.ok) {
      results.add({ item, result: outcome.result });
      return;
    }
    const retry = outcome.kind === 'transient' && item.attempt < config.maxAttempts;
    const retryAfterMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (item.attempt - 1));
    await failItem(db, item, outcome.error, retry ? { retryAfterMs } : {});
    log.info({ screening: item.screeningId, ordinal: item.ordinal, attempt: item.attempt, retry, error: outcome.error }, 'patient screening attempt failed');
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeUp = resolve;
      timer = setTimeout(resolve, ms);
    }).finally(() => {
      clearTimeout(timer);
      wakeUp = undefined;
    });

  const loop = async (): Promise<void> => {
    try {
      const unfinished = await countUnfinished(db);
      if (unfinished.patients > 0) log.info(unfinished, 'resuming unfinished screenings');
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'could not read the screening queue');
    }
    while (!stopping) {
      let claimed = 0;
      // Claimed ahead, not started yet: a screening cancelled since then starts no more patients.
      if (claimedQueue.length > 0 && inFlight.size < config.concurrency) {
        try {
          const cancelled = await cancelledScreenings(db, claimedQueue.map((i) => i.screeningId));
          if (cancelled.size > 0) {
            const dropped = claimedQueue.filter((i) => cancelled.has(i.screeningId));
            claimedQueue = claimedQueue.filter((i) => !cancelled.has(i.screeningId));
            await releaseItems(db, dropped);
          }
        } catch (err) {
          if (stopping) break;
          log.error({ err: { message: (err as Error).message } }, 'checking claimed screening work failed');
        }
      }
      // Claim a full set when the last one has been started; keep results from piling up unstored.
      if (claimedQueue.length === 0 && inFlight.size < config.concurrency) {
        if (results.waiting >= RESULT_BATCH) await results.drain();
        try {
          const items = await claimItems(db, { workerId, limit: config.concurrency, leaseMs: config.leaseMs });
          claimed = items.length;
          claimedQueue = items;
        } catch (err) {
          if (stopping) break;
          log.error({ err: { message: (err as Error).message } }, 'claiming screening work failed');
        }
      }
      // Stopped while claiming: these claims are given back by stop(), not started.
      if (stopping) break;
      while (claimedQueue.length > 0 && inFlight.size < config.concurrency) {
        const item = claimedQueue.shift() as ClaimedItem;
        const p: Promise<void> = process1(item)
          .catch((err: unknown) => {
            if (!stopping) log.error({ screening: item.screeningId, err: { message: (err as Error).message } }, 'recording a screening attempt failed');
          })
          .finally(() => {
            inFlight.delete(p);
            wakeUp?.();
          });
        inFlight.add(p);
      }
      // Full: wait for a slot. Nothing claimed: wait for a poll or a wake-up. Otherwise claim again.
      if (inFlight.size >= config.concurrency) await Promise.race(inFlight);
      else if (claimed === 0 && claimedQueue.length === 0) await sleep(pollMs);
    }
  };

  const running = loop();
  return {
    wake() {
      wakeUp?.();
    },
    async stop() {
      if (stopping) return running;
      stopping = true;
      wakeUp?.();
      // The loop ends first (so nothing new starts), then the patients in progress finish, or
      // are cut off after a grace period and left pending for the next start.
      const grace = setTimeout(() => stopController.abort(), Math.min(5000, itemDeadlineMs));
      await running;
      await Promise.allSettled([...inFlight]);
      clearTimeout(grace);
      // The results of finished patients are stored; claims never started are given back below.
      await results.drain();
      try {
        const released = await releaseClaims(db, workerId);
        if (released > 0) log.info({ released }, 'screening worker stopped; unfinished patients left for the next start');
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'could not release screening claims; they are taken again when their lease expires');
      }
    },
  };
}
