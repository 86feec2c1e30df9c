import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, JobHandler, JobOptions, QueueBackend, QueueDepth, QueueBackendHooks, QueueWorker } from './queue-backend.js';
import { asError, repeatJobId, resolveJobOptions, retryDelayMs } from './job-options.js';

interface MemoryJob {
  id: string;
  name: string;
  /** Stored as JSON, as in Redis: each try gets a fresh copy, and Dates arrive as strings. */
  json: string;
  attempts: number;
  backoffMs: number;
  started: number;
  state: 'delayed' | 'waiting' | 'active';
  timer?: NodeJS.Timeout;
  /** Set on a scheduled run: starting it schedules the next one. */
  schedule?: Schedule;
  slotMs?: number;
}

interface Schedule {
  queue: string;
  name: string;
  everyMs: number;
  timer?: NodeJS.Timeout;
}

interface MemoryWorker {
  handler: JobHandler<unknown>;
  concurrency: number;
  active: number;
  closing: boolean;
  idle: Array<() => void>;
}

interface QueueState {
  jobs: Map<string, MemoryJob>;
  waiting: MemoryJob[];
  workers: MemoryWorker[];
  nextId: number;
}

/**
 * Background jobs in process, for the embedded default: the same semantics as the BullMQ backend (dedupe by
 * job id, retries with exponential backoff, delays, one schedule per name, drain), but nothing survives
 * the process. Timers are unref'd: queued work never keeps the process alive by itself.
 *
 * Closing loses nothing silently: where BullMQ leaves waiting jobs in Redis for the next start, here the
 * last worker of a queue (and the backend, while workers are attached) first runs the jobs already waiting,
 * within the close timeout; what is still not run then (delayed jobs, retries in backoff, jobs of a queue
 * without workers) is reported through `onJobsDiscarded`, and a try failing after close is final.
 */
export interface MemoryQueueBackendOptions extends QueueBackendHooks {
  /** How long closing a worker waits for the jobs in hand (and closing runs the waiting ones) before letting go of them. Default 10 s. */
  closeTimeoutMs?: number;
}

export function createMemoryQueueBackend(options: MemoryQueueBackendOptions = {}): QueueBackend {
  return new MemoryQueueBackend(options);
}

class MemoryQueueBackend implements QueueBackend {
  private readonly queues = new Map<string, QueueState>();
  private readonly schedules = new Map<string, Schedule>();
  private closed = false;

  constructor(private readonly hooks: MemoryQueueBackendOptions) {}

  /** Resolves when the worker has no job in hand, or after the close timeout (a hung job must not block shutdown). */
  private whenIdle(worker: MemoryWorker, deadline = this.closeDeadline()): Promise<void> {
    if (worker.active === 0) return Promise.resolve();
    const idle = new Promise<void>((resolve) => worker.idle.push(resolve));
    return Promise.race([idle, sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false })]);
  }

  /**
   * Resolves once `queue` has no waiting job and its workers none in hand, or at `deadline`. Polls on a
   * ref'd timer: shutdown must not end (and skip closing the database) while jobs still run.
   */
  private async runWaiting(state: QueueState, deadline: number): Promise<void> {
    while ((state.waiting.length > 0 || state.workers.some((w) => w.active > 0)) && Date.now() < deadline) await sleep(5);
  }

  private closeDeadline(): number {
    return Date.now() + (this.hooks.closeTimeoutMs ?? 10_000);
  }

  private state(queue: string): QueueState {
    let state = this.queues.get(queue);
    if (!state) this.queues.set(queue, (state = { jobs: new Map(), waiting: [], workers: [], nextId: 1 }));
    return state;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('queue backend is closed');
  }

  async enqueue<T>(queue: string, name: string, data: T, options?: JobOptions): Promise<void> {
    this.assertOpen();
    const resolved = resolveJobOptions(options);
    const state = this.state(queue);
    const id = resolved.jobId ?? String(state.nextId++);
    this.add(queue, { id, name, json: JSON.stringify(data === undefined ? {} : data), attempts: resolved.attempts, backoffMs: resolved.backoffMs, started: 0, state: 'waiting' }, resolved.delayMs);
  }

  /** Adds a job unless one with its id exists (dedupe), waiting now or after `delayMs`. */
  private add(queue: string, job: MemoryJob, delayMs: number): void {
    const state = this.state(queue);
    if (state.jobs.has(job.id)) return;
    state.jobs.set(job.id, job);
    if (delayMs > 0) this.delay(queue, job, delayMs);
    else this.makeWaiting(queue, job);
  }

  private delay(queue: string, job: MemoryJob, delayMs: number): void {
    job.state = 'delayed';
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.makeWaiting(queue, job);
    }, delayMs);
    job.timer.unref();
  }

  private makeWaiting(queue: string, job: MemoryJob): void {
    job.state = 'waiting';
    this.state(queue).waiting.push(job);
    // Like a job arriving from Redis: picked up on a later turn, never inside enqueue().
    setImmediate(() => this.pump(queue));
  }

  private pump(queue: string): void {
    const state = this.state(queue);
    for (const worker of state.workers) {
      while (!worker.closing && worker.active < worker.concurrency && state.waiting.length > 0) {
        this.run(queue, worker, state.waiting.shift() as MemoryJob);
      }
    }
  }

  private run(queue: string, worker: MemoryWorker, job: MemoryJob): void {
    const state = this.state(queue);
    job.state = 'active';
    job.started += 1;
    worker.active += 1;
    if (job.schedule && job.slotMs !== undefined) {
      // Like BullMQ: a slot already missed (this run started late) is skipped, not run late.
      let next = job.slotMs + job.schedule.everyMs;
      while (next < Date.now()) next += job.schedule.everyMs;
      this.scheduleNext(job.schedule, next);
    }
    const view: Job<unknown> = { id: job.id, name: job.name, data: JSON.parse(job.json) as unknown, attempt: job.started };
    Promise.resolve()
      .then(() => worker.handler(view))
      .then(
        () => state.jobs.delete(job.id),
        (thrown: unknown) => {
          // Once the backend is closed, no later try will come.
          const final = job.started >= job.attempts || this.closed;
          this.hooks.onJobFailed?.({ queue, id: job.id, name: job.name, attempt: job.started, final, error: asError(thrown) });
          if (final) state.jobs.delete(job.id);
          else this.delay(queue, job, retryDelayMs(job.backoffMs, job.started));
        },
      )
      .finally(() => {
        worker.active -= 1;
        if (worker.active === 0) for (const resolve of worker.idle.splice(0)) resolve();
        this.pump(queue);
      });
  }

  work<T>(queue: string, handler: JobHandler<T>, options: { concurrency?: number } = {}): QueueWorker {
    this.assertOpen();
    const worker: MemoryWorker = { handler: handler as JobHandler<unknown>, concurrency: Math.max(1, options.concurrency ?? 1), active: 0, closing: false, idle: [] };
    const state = this.state(queue);
    state.workers.push(worker);
    setImmediate(() => this.pump(queue));
    return {
      close: async () => {
        const deadline = this.closeDeadline();
        // The last worker runs what is waiting: in process, no one would later.
        if (state.workers.length === 1 && state.workers[0] === worker) await this.runWaiting(state, deadline);
        worker.closing = true;
        state.workers = state.workers.filter((w) => w !== worker);
        // Like BullMQ's Worker.close(): let the jobs in hand finish.
        await this.whenIdle(worker, deadline);
      },
    };
  }

  async repeat(queue: string, name: string, everyMs: number): Promise<void> {
    this.assertOpen();
    if (!Number.isFinite(everyMs) || everyMs <= 0) throw new RangeError(`everyMs must be positive, got ${everyMs}`);
    const key = `${queue}\u0000${name}`;
    const existing = this.schedules.get(key);
    if (existing?.everyMs === everyMs) return;
    if (existing?.timer) clearTimeout(existing.timer);
    const schedule: Schedule = { queue, name, everyMs };
    this.schedules.set(key, schedule);
    this.scheduleNext(schedule, Date.now());
  }

  /** Adds the run for `slotMs` when it is due; as in BullMQ, the run after it is planned when it starts. */
  private scheduleNext(schedule: Schedule, slotMs: number): void {
    if (this.schedules.get(`${schedule.queue}\u0000${schedule.name}`) !== schedule || this.closed) return;
    if (schedule.timer) clearTimeout(schedule.timer);
    schedule.timer = setTimeout(() => {
      schedule.timer = undefined;
      this.add(schedule.queue, { id: repeatJobId(schedule.name, slotMs), name: schedule.name, json: '{}', attempts: 1, backoffMs: 0, started: 0, state: 'waiting', schedule, slotMs }, 0);
    }, Math.max(0, slotMs - Date.now()));
    schedule.timer.unref();
  }

  async drain(queue: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const state = this.state(queue);
    while (state.jobs.size > 0) {
      if (Date.now() > deadline) throw new Error(`queue "${queue}" still has ${state.jobs.size} waiting, delayed or active jobs after ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  async depth(queue: string): Promise<QueueDepth> {
    const depth: QueueDepth = { waiting: 0, active: 0, delayed: 0 };
    for (const job of this.state(queue).jobs.values()) depth[job.state] += 1;
    return depth;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const schedule of this.schedules.values()) if (schedule.timer) clearTimeout(schedule.timer);
    this.schedules.clear();
    // Workers still attached run what is waiting first (new jobs are refused from here on).
    const deadline = this.closeDeadline();
    await Promise.all([...this.queues.values()].filter((state) => state.workers.length > 0).map((state) => this.runWaiting(state, deadline)));
    const closing: Array<Promise<void>> = [];
    for (const [queue, state] of this.queues) {
      const names: Record<string, number> = {};
      let count = 0;
      for (const job of state.jobs.values()) {
        if (job.timer) clearTimeout(job.timer);
        if (job.state === 'active') continue;
        state.jobs.delete(job.id);
        // A scheduled run is recreated by the next start's schedule: not lost.
        if (job.schedule) continue;
        names[job.name] = (names[job.name] ?? 0) + 1;
        count += 1;
      }
      if (count > 0) this.hooks.onJobsDiscarded?.({ queue, count, names });
      state.waiting.length = 0;
      for (const worker of state.workers) {
        worker.closing = true;
        closing.push(this.whenIdle(worker, deadline));
      }
      state.workers = [];
    }
    await Promise.all(closing);
  }
}
