/**
 * Background work: BullMQ on Redis in production, an in-process stand-in in the embedded default. Jobs must
 * be idempotent: delivery is at least once (a worker killed mid-job has the job run again).
 */
export interface JobOptions {
  /** Deduplicates: a second enqueue with the same id while the first exists is a no-op. */
  jobId?: string;
  delayMs?: number;
  /** Total tries, default 10. */
  attempts?: number;
  /** First retry delay, doubled on each retry; default 1000 ms. */
  backoffMs?: number;
}

export interface Job<T> {
  id: string;
  name: string;
  data: T;
  /** 1 on the first try. */
  attempt: number;
}

export type JobHandler<T> = (job: Job<T>) => Promise<void>;

export interface QueueWorker {
  close(): Promise<void>;
}

export interface QueueBackend {
  enqueue<T>(queue: string, name: string, data: T, options?: JobOptions): Promise<void>;
  /** Starts processing `queue`; the handler throwing means "retry with backoff". */
  work<T>(queue: string, handler: JobHandler<T>, options?: { concurrency?: number }): QueueWorker;
  /** Schedules `name` on `queue` every `everyMs` (one schedule per name across replicas). */
  repeat(queue: string, name: string, everyMs: number): Promise<void>;
  /** Resolves when `queue` has no waiting, delayed or active jobs (tests and graceful shutdown). */
  drain(queue: string, timeoutMs?: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
