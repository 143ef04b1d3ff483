/** The order queued embedding tasks reach a free thread: queries first, then each call's batches in turns. */
import { describe, expect, it } from '@jest/globals';
import { queueOptionsSymbol } from 'piscina';
import { EmbeddingTaskQueue, type EmbeddingQueueOptions } from '../../../src/search/embeddings/embedding-queue.js';

type FakeTask = { name: string; [queueOptionsSymbol]: EmbeddingQueueOptions };

const query = (name: string): FakeTask => ({ name, [queueOptionsSymbol]: { kind: 'query', stream: 0 } });
const batch = (name: string, stream: number): FakeTask => ({ name, [queueOptionsSymbol]: { kind: 'documents', stream } });

function drain(q: EmbeddingTaskQueue): string[] {
  const out: string[] = [];
  for (let t = q.shift(); t; t = q.shift()) out.push((t as unknown as FakeTask).name);
  return out;
}

describe('EmbeddingTaskQueue', () => {
  it('serves queries before document batches queued earlier, queries first in first out', () => {
    const q = new EmbeddingTaskQueue();
    for (const t of [batch('a1', 1), batch('a2', 1), query('q1'), batch('a3', 1), query('q2')]) q.push(t);
    expect(q.size).toBe(5);
    expect(drain(q)).toEqual(['q1', 'q2', 'a1', 'a2', 'a3']);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeNull();
  });

  it("gives each call's batches their turns, so a small call is not stuck behind an import", () => {
    const q = new EmbeddingTaskQueue();
    for (let i = 1; i <= 4; i++) q.push(batch(`import${i}`, 1));
    q.push(batch('notes1', 2));
    q.push(batch('notes2', 2));
    q.push(batch('other1', 3));
    expect(drain(q)).toEqual(['import1', 'notes1', 'other1', 'import2', 'notes2', 'import3', 'import4']);
  });

  it('puts a task piscina gives back (no free thread after all) back at the head of its line and turn', () => {
    const q = new EmbeddingTaskQueue();
    for (const t of [batch('a1', 1), batch('a2', 1), batch('b1', 2), query('q1')]) q.push(t);
    const first = q.shift();
    expect((first as unknown as FakeTask).name).toBe('q1');
    q.unshift?.(first as NonNullable<typeof first>);
    const second = q.shift();
    expect((second as unknown as FakeTask).name).toBe('q1');
    const a1 = q.shift();
    expect((a1 as unknown as FakeTask).name).toBe('a1');
    q.unshift?.(a1 as NonNullable<typeof a1>);
    expect(drain(q)).toEqual(['a1', 'b1', 'a2']);
  });

  it('removes a task that was withdrawn before it ran', () => {
    const q = new EmbeddingTaskQueue();
    const tasks = [batch('a1', 1), batch('b1', 2), query('q1'), batch('b2', 2)];
    for (const t of tasks) q.push(t);
    q.remove(tasks[1] as FakeTask);
    q.remove(tasks[2] as FakeTask);
    q.remove(query('never queued'));
    expect(q.size).toBe(2);
    expect(drain(q)).toEqual(['a1', 'b2']);
  });
});
