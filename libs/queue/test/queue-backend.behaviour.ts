import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job, QueueBackend, QueueBackendHooks } from '../src/index.js';

/** How a behaviour suite reaches one kind of backend. */
export interface QueueBackendFactory {
  /** A backend of its own (fresh namespace per call). */
  create(options?: QueueBackendHooks & { closeTimeoutMs?: number }): QueueBackend;
  /** Two "replicas" sharing one namespace (for the in-process backend: the same instance twice). */
  replicas(): [QueueBackend, QueueBackend];
}

export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** One behaviour suite for every QueueBackend: the in-process stand-in must behave like BullMQ. */
export function describeQueueBackendBehaviour(name: string, factory: QueueBackendFactory): void {
  describe(`QueueBackend behaviour: ${name}`, () => {
    const open: QueueBackend[] = [];
    const backend = (options?: QueueBackendHooks & { closeTimeoutMs?: number }) => {
      const b = factory.create(options);
      open.push(b);
      return b;
    };

    afterEach(async () => {
      await Promise.all([...new Set(open.splice(0))].map((b) => b.close()));
    });

    it('runs a job once per job id while it exists, and again once it is done', async () => {
      const b = backend();
      await b.enqueue('q', 'revoke-grant', { n: 1 }, { jobId: 'grant-1' });
      await b.enqueue('q', 'revoke-grant', { n: 2 }, { jobId: 'grant-1' });
      await b.enqueue('q', 'revoke-grant', { n: 3 }, { jobId: 'grant-2' });
      const seen: Array<Job<{ n: number }>> = [];
      b.work<{ n: number }>('q', async (job) => void seen.push(job));
      await eventually(() => seen.length >= 2);
      await b.drain('q');
      expect(seen.map((j) => [j.id, j.name, j.data.n, j.attempt]).sort()).toEqual([
        ['grant-1', 'revoke-grant', 1, 1],
        ['grant-2', 'revoke-grant', 3, 1],
      ]);
      await b.enqueue('q', 'revoke-grant', { n: 4 }, { jobId: 'grant-1' });
      await eventually(() => seen.length === 3);
      expect(seen[2]?.data.n).toBe(4);
    });

    it('hands the handler a JSON copy of the data, fresh on each try', async () => {
      const b = backend();
      const payload = { at: new Date(0), list: [1] };
      const seen: unknown[] = [];
      b.work<{ at: unknown; list: number[] }>('q', async (job) => {
        seen.push(structuredClone(job.data));
        job.data.list.push(99);
        if (job.attempt === 1) throw new Error('retry once');
      });
      await b.enqueue('q', 'copy', payload, { attempts: 2, backoffMs: 10 });
      payload.list.push(2);
      await eventually(() => seen.length === 2);
      expect(seen).toEqual([
        { at: '1970-01-01T00:00:00.000Z', list: [1] },
        { at: '1970-01-01T00:00:00.000Z', list: [1] },
      ]);
    });

    it('gives jobs without an id ids of their own', async () => {
      const b = backend();
      const ids: string[] = [];
      b.work('q', async (job) => void ids.push(job.id));
      for (let i = 0; i < 5; i++) await b.enqueue('q', 'audit', { i });
      await eventually(() => ids.length === 5);
      expect(new Set(ids).size).toBe(5);
    });

    it('refuses custom ids BullMQ cannot store (integers, colons)', async () => {
      const b = backend();
      await expect(b.enqueue('q', 'x', {}, { jobId: '42' })).rejects.toThrow(RangeError);
      await expect(b.enqueue('q', 'x', {}, { jobId: 'grant:1' })).rejects.toThrow(RangeError);
      await expect(b.enqueue('q', 'x', {}, { attempts: 0 })).rejects.toThrow(RangeError);
    });

    it('retries a failing job with exponential backoff until it succeeds', async () => {
      const b = backend();
      const tries: Array<{ attempt: number; at: number }> = [];
      b.work('q', async (job) => {
        tries.push({ attempt: job.attempt, at: Date.now() });
        if (job.attempt < 3) throw new Error(`transient failure ${job.attempt}`);
      });
      await b.enqueue('q', 'flaky', {}, { attempts: 5, backoffMs: 40 });
      await eventually(() => tries.length === 3);
      await b.drain('q');
      expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
      const [first, second, third] = tries.map((t) => t.at) as [number, number, number];
      // Backoff is a lower bound on the wait: 40 ms, then 80 ms.
      expect(second - first).toBeGreaterThanOrEqual(35);
      expect(third - second).toBeGreaterThanOrEqual(75);
    });

    it('gives up after the allowed attempts and reports the final failure', async () => {
      const failures: Array<{ attempt: number; final: boolean; message: string }> = [];
      const b = backend({ onJobFailed: (f) => failures.push({ attempt: f.attempt, final: f.final, message: f.error.message }) });
      let calls = 0;
      b.work('q', async () => {
        calls += 1;
        throw new Error('permanent failure');
      });
      await b.enqueue('q', 'doomed', {}, { attempts: 3, backoffMs: 10, jobId: 'doomed-1' });
      await eventually(() => failures.some((f) => f.final));
      await b.drain('q');
      expect(calls).toBe(3);
      expect(failures).toEqual([
        { attempt: 1, final: false, message: 'permanent failure' },
        { attempt: 2, final: false, message: 'permanent failure' },
        { attempt: 3, final: true, message: 'permanent failure' },
      ]);
      // Dropped for good: the id is free again.
      await b.enqueue('q', 'doomed', {}, { attempts: 1, jobId: 'doomed-1' });
      await eventually(() => calls === 4);
    });

    it('holds a delayed job back for its delay', async () => {
      const b = backend();
      const ran: number[] = [];
      b.work('q', async () => void ran.push(Date.now()));
      const enqueuedAt = Date.now();
      await b.enqueue('q', 'later', {}, { delayMs: 200 });
      await b.enqueue('q', 'now', {});
      await eventually(() => ran.length === 2);
      expect((ran[1] as number) - enqueuedAt).toBeGreaterThanOrEqual(195);
    });

    it('runs a repeat schedule once per interval, however many replicas schedule it', async () => {
      const [a, b] = factory.replicas();
      open.push(a, b);
      const runs: string[] = [];
      a.work('sweeps', async (job) => void runs.push(job.id));
      b.work('sweeps', async (job) => void runs.push(job.id));
      await a.repeat('sweeps', 'expiry-sweep', 100);
      await sleep(150);
      // A second replica starting later, and the first one restarting, change nothing.
      await b.repeat('sweeps', 'expiry-sweep', 100);
      await a.repeat('sweeps', 'expiry-sweep', 100);
      await eventually(() => runs.length >= 6);
      const slots = runs.map((id) => {
        const match = /^repeat:expiry-sweep:(\d+)$/.exec(id);
        expect(match, id).not.toBeNull();
        return Number(match?.[1]);
      });
      // Every scheduled slot ran once, and all slots lie on one grid of the interval: no replica added a
      // schedule of its own. (A slot missed under load is skipped, never run late or twice.)
      expect(new Set(slots).size).toBe(slots.length);
      const sorted = [...slots].sort((x, y) => x - y);
      const first = sorted[0] as number;
      for (const slot of sorted) expect((slot - first) % 100).toBe(0);
      // The next, not yet due, run is not pending work.
      await a.drain('sweeps', 5_000);
    });

    it('drain waits for active and delayed jobs, and times out on a queue nobody works', async () => {
      const b = backend();
      let finished = 0;
      b.work(
        'q',
        async () => {
          await sleep(100);
          finished += 1;
        },
        { concurrency: 2 },
      );
      await b.enqueue('q', 'slow', {});
      await b.enqueue('q', 'slow', {});
      await b.enqueue('q', 'slow-later', {}, { delayMs: 100 });
      await b.drain('q');
      expect(finished).toBe(3);

      await b.enqueue('unworked', 'stuck', {});
      await expect(b.drain('unworked', 200)).rejects.toThrow(/still has 1 waiting, delayed or active jobs/);
    });

    it('runs up to `concurrency` jobs at once per worker', async () => {
      const b = backend();
      let running = 0;
      let peak = 0;
      b.work(
        'q',
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(50);
          running -= 1;
        },
        { concurrency: 3 },
      );
      for (let i = 0; i < 9; i++) await b.enqueue('q', 'job', { i });
      await eventually(async () => {
        await b.drain('q');
        return true;
      });
      expect(peak).toBe(3);
    });

    it('lets a closing worker finish the job in hand', async () => {
      const b = backend();
      let started = false;
      let finished = false;
      const worker = b.work('q', async () => {
        started = true;
        await sleep(100);
        finished = true;
      });
      await b.enqueue('q', 'job', {});
      await eventually(() => started);
      await worker.close();
      expect(finished).toBe(true);
    });

    it('does not let a hung job block closing a worker for longer than the close timeout', async () => {
      const b = backend({ closeTimeoutMs: 200 });
      let started = false;
      const worker = b.work('q', async () => {
        started = true;
        await new Promise(() => undefined);
      });
      await b.enqueue('q', 'hung', {});
      await eventually(() => started);
      // Would wait forever without the bound (and fail by the test's timeout).
      await worker.close();
    });

    it('pings, and refuses work once closed', async () => {
      const b = backend();
      await b.ping();
      await b.close();
      await expect(b.enqueue('q', 'x', {})).rejects.toThrow(/closed/);
      await expect(b.ping()).rejects.toThrow(/closed/);
    });
  });
}
