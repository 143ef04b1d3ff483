import { describe, expect, it } from '@jest/globals';
import { Semaphore } from '../../src/fhir/semaphore.js';

describe('Semaphore', () => {
  it('never runs more than the limit, with newcomers arriving while others wait', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let max = 0;
    const task = async () => {
      active++;
      max = Math.max(max, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
    };
    const first = Array.from({ length: 6 }, () => sem.run(task));
    // Newcomers arrive while the first batch is still queued.
    await new Promise((resolve) => setTimeout(resolve, 6));
    const later = Array.from({ length: 6 }, () => sem.run(task));
    await Promise.all([...first, ...later]);
    expect(max).toBe(2);
  });

  it('releases its slot when a task fails', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(sem.run(async () => 'ok')).resolves.toBe('ok');
  });
});
