/**
 * The order in which queued embedding tasks reach a free thread (a piscina TaskQueue).
 *
 * - Queries first. A hook's free-text question is one short model call that a clinician is
 *   waiting for; a trial import or a guideline ingest is thousands of texts nobody watches. A
 *   query therefore waits at most for the batches already running, never for the queued ones.
 * - Document batches in turns, one call's batch after another's. Each embedDocuments call is a
 *   stream of batches; a small call (a patient's note sentences on a hook, see
 *   services/trials/store/sentence-embeddings.ts) waits for one batch of each other call, not
 *   for the whole of an import queued before it.
 * - Within a stream, and among queries, first in first out.
 */
import { queueOptionsSymbol, type TaskQueue } from 'piscina';

/** A queued task as piscina hands it to the queue. */
type Task = Parameters<TaskQueue['push']>[0];

export type EmbeddingTaskKind = 'query' | 'documents';

/** What the queue reads from a task (piscina hands it over under `queueOptionsSymbol`). */
export interface EmbeddingQueueOptions {
  kind: EmbeddingTaskKind;
  /** The embedDocuments call a document batch belongs to. */
  stream: number;
}

function optionsOf(task: Task): EmbeddingQueueOptions {
  const o = task[queueOptionsSymbol] as EmbeddingQueueOptions | null;
  // Every task Cairn queues carries its options; one without them is treated as a query's, so a bug
  // here can cost an import its turn but never a hook its answer.
  return o ?? { kind: 'query', stream: 0 };
}

export class EmbeddingTaskQueue implements TaskQueue {
  readonly #queries: Task[] = [];
  /** Queued document batches by stream, in first-in order. */
  readonly #streams = new Map<number, Task[]>();
  /** Streams with queued batches, the next to be served first. */
  #turns: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(task: Task): void {
    const o = optionsOf(task);
    if (o.kind === 'query') this.#queries.push(task);
    else {
      const batches = this.#streams.get(o.stream);
      if (batches) batches.push(task);
      else {
        this.#streams.set(o.stream, [task]);
        this.#turns.push(o.stream);
      }
    }
    this.#size++;
  }

  /**
   * piscina gives a task back when it took one but found no free thread after all; it goes back
   * where it was, at the head of its line and with its stream's turn (stricterFIFO), so the order
   * above holds.
   */
  unshift(task: Task): void {
    const o = optionsOf(task);
    if (o.kind === 'query') this.#queries.unshift(task);
    else {
      const batches = this.#streams.get(o.stream);
      if (batches) batches.unshift(task);
      else this.#streams.set(o.stream, [task]);
      this.#turns = [o.stream, ...this.#turns.filter((s) => s !== o.stream)];
    }
    this.#size++;
  }

  shift(): Task | null {
    const query = this.#queries.shift();
    if (query) {
      this.#size--;
      return query;
    }
    const stream = this.#turns.shift();
    if (stream === undefined) return null;
    const batches = this.#streams.get(stream) as Task[];
    const task = batches.shift() as Task;
    if (batches.length > 0) this.#turns.push(stream);
    else this.#streams.delete(stream);
    this.#size--;
    return task;
  }

  /** A task taken out before it ran (piscina: an aborted task). */
  remove(task: Task): void {
    const o = optionsOf(task);
    const line = o.kind === 'query' ? this.#queries : this.#streams.get(o.stream);
    const i = line?.indexOf(task) ?? -1;
    if (!line || i < 0) return;
    line.splice(i, 1);
    this.#size--;
    if (o.kind === 'documents' && line.length === 0) {
      this.#streams.delete(o.stream);
      this.#turns = this.#turns.filter((s) => s !== o.stream);
    }
  }
}
