import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import type { Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobHandler, JobOptions, QueueBackend, QueueDepth, QueueBackendHooks, QueueWorker } from './queue-backend.js';
import { asError, resolveJobOptions } from './job-options.js';
import { QueueUnavailableError } from './queue-errors.js';

export interface BullMqBackendOptions extends QueueBackendHooks {
  url: string;
  /** Prefix of every BullMQ key (tests use one per file). Default `airlock`. */
  prefix?: string;
  /**
   * How long a worker's lock on a job lasts without renewal; a worker killed mid-job loses it after this
   * long and the job goes back to waiting. Default 30 s (tests use less).
   */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired. Default 30 s (tests use less). */
  stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it fails for good. Default 3. */
  maxStalledCount?: number;
  /** Bounds the wait for Redis on a producer call. Default 2 s. */
  connectTimeoutMs?: number;
  /**
   * How long closing a worker waits for the jobs in hand; after that it lets go of them (another worker
   * takes them over once their lock expires). Default 10 s.
   */
  closeTimeoutMs?: number;
}

/**
 * Background jobs on BullMQ 6 and Redis. Producers fail fast while Redis is down (QueueUnavailableError);
 * workers wait it out and reconnect by themselves. Every job is retried with exponential backoff, and a
 * job whose worker died is handed to another worker once its lock expires.
 */
export function createBullMqBackend(options: BullMqBackendOptions): QueueBackend {
  return new BullMqBackend(options);
}

class BullMqBackend implements QueueBackend {
  private readonly prefix: string;
  /** One connection for every producer; workers need blocking connections of their own. */
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Set<{ worker: Worker; connection: Redis }>();
  private readonly endpoint: string;
  private closed = false;

  constructor(private readonly options: BullMqBackendOptions) {
    this.prefix = options.prefix ?? 'airlock';
    const url = new URL(options.url);
    this.endpoint = `${url.hostname}:${url.port || '6379'}`;
    this.connection = new Redis(options.url, {
      connectionName: 'airlock-queue',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    });
    this.connection.on('error', (error: Error) => this.options.onError?.(error));
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (error: Error) => this.options.onError?.(error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Producer calls: validation errors pass through, anything else means Redis is not reachable. */
  private async produce<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) throw new QueueUnavailableError('the queue backend is closed');
    if (this.connection.status !== 'ready') await this.waitForConnection();
    try {
      return await call();
    } catch (error) {
      if (error instanceof RangeError || (error instanceof Error && error.name === 'ReplyError')) throw error;
      throw new QueueUnavailableError(`Redis at ${this.endpoint} is not reachable (${asError(error).message})`, { cause: error });
    }
  }

  private async waitForConnection(): Promise<void> {
    const status = this.connection.status;
    if (status === 'connecting' || status === 'connect' || status === 'wait') {
      const deadline = Date.now() + (this.options.connectTimeoutMs ?? 2000);
      while (Date.now() < deadline && this.connection.status !== 'ready') await sleep(10);
    }
    if (this.connection.status !== 'ready') throw new QueueUnavailableError(`Redis at ${this.endpoint} is not reachable`);
  }

  async enqueue<T>(queue: string, name: string, data: T, options?: JobOptions): Promise<void> {
    const resolved = resolveJobOptions(options);
    await this.produce(() =>
      this.queue(queue).add(name, data, {
        jobId: resolved.jobId,
        delay: resolved.delayMs,
        attempts: resolved.attempts,
        backoff: { type: 'exponential', delay: resolved.backoffMs },
        // Finished jobs go, so their id is free again (and Redis does not fill up).
        removeOnComplete: true,
        removeOnFail: true,
      }),
    );
  }

  work<T>(queue: string, handler: JobHandler<T>, options: { concurrency?: number } = {}): QueueWorker {
    if (this.closed) throw new QueueUnavailableError('the queue backend is closed');
    // BullMQ requires maxRetriesPerRequest null on a worker's (blocking) connection: it waits out outages.
    const connection = new Redis(this.options.url, { connectionName: 'airlock-worker', maxRetriesPerRequest: null });
    connection.on('error', (error: Error) => this.options.onError?.(error));
    const worker = new Worker(
      queue,
      async (job: BullJob) => {
        await handler({ id: job.id ?? '', name: job.name, data: job.data as T, attempt: Math.max(job.attemptsStarted, job.attemptsMade + 1) });
      },
      {
        connection,
        prefix: this.prefix,
        concurrency: Math.max(1, options.concurrency ?? 1),
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        maxStalledCount: this.options.maxStalledCount ?? 3,
      },
    );
    worker.on('error', (error: Error) => this.options.onError?.(error));
    worker.on('failed', (job: BullJob | undefined, error: Error) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || job.finishedOn !== undefined;
      this.options.onJobFailed?.({ queue, id: job.id ?? '', name: job.name, attempt: Math.max(job.attemptsStarted, job.attemptsMade), final, error });
    });
    const entry = { worker, connection };
    this.workers.add(entry);
    return {
      close: async () => {
        if (!this.workers.delete(entry)) return;
        await this.closeWorker(entry);
      },
    };
  }

  async repeat(queue: string, name: string, everyMs: number): Promise<void> {
    if (!Number.isFinite(everyMs) || everyMs <= 0) throw new RangeError(`everyMs must be positive, got ${everyMs}`);
    // A job scheduler is keyed by its id in Redis: every replica upserting it yields one schedule.
    await this.produce(() =>
      this.queue(queue).upsertJobScheduler(name, { every: everyMs }, { name, data: {}, opts: { attempts: 1, removeOnComplete: true, removeOnFail: true } }),
    );
  }

  async drain(queue: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const q = this.queue(queue);
    for (;;) {
      const pending = await this.produce(async () => {
        const counts = await q.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
        // A schedule's next run sits in "delayed" forever; it is not pending work.
        const delayed = (await q.getRanges(['delayed'], 0, -1)).filter((id) => !id.startsWith('repeat:'));
        return Object.values(counts).reduce((sum, n) => sum + n, 0) + delayed.length;
      });
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`queue "${queue}" still has ${pending} waiting, delayed or active jobs after ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  async depth(queue: string): Promise<QueueDepth> {
    const counts = await this.produce(() => this.queue(queue).getJobCounts('waiting', 'prioritized', 'active', 'delayed'));
    return { waiting: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0), active: counts['active'] ?? 0, delayed: counts['delayed'] ?? 0 };
  }

  async ping(): Promise<void> {
    await this.produce(() => this.connection.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const workers = [...this.workers];
    this.workers.clear();
    await Promise.all(workers.map((entry) => this.closeWorker(entry)));
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
    this.queues.clear();
    await this.connection.quit().catch(() => this.connection.disconnect());
  }

  /** Waits (bounded) for the jobs in hand, so a hung job never blocks shutdown. */
  private async closeWorker({ worker, connection }: { worker: Worker; connection: Redis }): Promise<void> {
    const closed = worker.close().then(
      () => true,
      () => true,
    );
    const finished = await Promise.race([closed, sleep(this.options.closeTimeoutMs ?? 10_000, false, { ref: false })]);
    if (finished) await connection.quit().catch(() => connection.disconnect());
    else {
      this.options.onError?.(new Error(`a worker of queue "${worker.name}" still had jobs in hand after the close timeout; letting go of them`));
      connection.disconnect();
    }
  }
}
