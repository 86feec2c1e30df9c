import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createMemoryQueueBackend } from '../src/index.js';
import type { DiscardedJobs, JobFailure } from '../src/index.js';

// The in-process backend keeps nothing across a restart: closing it must run what is waiting, or say what
// it drops (BullMQ leaves such jobs in Redis, so these are in-process only).
describe('in-process queue at shutdown', () => {
  it('closing the backend runs the jobs already waiting for its workers', async () => {
    const backend = createMemoryQueueBackend();
    const ran: number[] = [];
    backend.work<{ n: number }>('q', async (job) => {
      await sleep(20);
      ran.push(job.data.n);
    });
    for (const n of [1, 2, 3, 4]) await backend.enqueue('q', 'job', { n });
    await backend.close();
    expect(ran.sort()).toEqual([1, 2, 3, 4]);
  });

  it('closing the last worker of a queue runs the jobs already waiting', async () => {
    const backend = createMemoryQueueBackend();
    const ran: number[] = [];
    const worker = backend.work<{ n: number }>('q', async (job) => {
      await sleep(20);
      ran.push(job.data.n);
    });
    for (const n of [1, 2, 3]) await backend.enqueue('q', 'job', { n });
    await worker.close();
    expect(ran.sort()).toEqual([1, 2, 3]);
    await backend.close();
  });

  it('reports the jobs it cannot run (delayed, in backoff, or of a queue without workers), by queue and name', async () => {
    const discarded: DiscardedJobs[] = [];
    const failures: JobFailure[] = [];
    const backend = createMemoryQueueBackend({ onJobsDiscarded: (d) => void discarded.push(d), onJobFailed: (f) => void failures.push(f) });
    let tries = 0;
    backend.work('retried', async () => {
      tries += 1;
      throw new Error('not yet');
    });
    await backend.enqueue('retried', 'audit.record', { secret: 'never reported' }, { backoffMs: 60_000 });
    await backend.enqueue('later', 'session.seen', {}, { delayMs: 60_000 });
    await backend.enqueue('later', 'session.seen', {}, { delayMs: 60_000 });
    await backend.enqueue('orphan', 'grant.revoked', {});
    while (tries === 0) await sleep(5);
    await backend.close();
    expect(discarded.sort((a, b) => a.queue.localeCompare(b.queue))).toEqual([
      { queue: 'later', count: 2, names: { 'session.seen': 2 } },
      { queue: 'orphan', count: 1, names: { 'grant.revoked': 1 } },
      { queue: 'retried', count: 1, names: { 'audit.record': 1 } },
    ]);
    expect(JSON.stringify(discarded)).not.toContain('never reported');
    expect(failures.map((f) => f.final)).toEqual([false]);
  });

  it('a try that fails while the backend closes is final: no retry will come', async () => {
    const failures: JobFailure[] = [];
    const discarded: DiscardedJobs[] = [];
    const backend = createMemoryQueueBackend({ onJobFailed: (f) => void failures.push(f), onJobsDiscarded: (d) => void discarded.push(d) });
    backend.work('q', async () => {
      await sleep(20);
      throw new Error('database gone');
    });
    await backend.enqueue('q', 'audit.record', {});
    await backend.close();
    expect(failures.map((f) => ({ name: f.name, final: f.final }))).toEqual([{ name: 'audit.record', final: true }]);
    expect(discarded).toEqual([]);
  });
});
