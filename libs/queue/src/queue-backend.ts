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

/** A try that threw; `final` when no attempts are left and the job is dropped. */
export interface JobFailure {
  queue: string;
  id: string;
  name: string;
  attempt: number;
  final: boolean;
  error: Error;
}

/** Jobs a backend let go of without running them (the in-process one, on close: nothing survives it). */
export interface DiscardedJobs {
  queue: string;
  count: number;
  /** Job names with how many of each (names only: job data may hold anything). */
  names: Record<string, number>;
}

/** What a backend reports to its owner (for logging); all are optional. */
export interface QueueBackendHooks {
  onJobFailed?: (failure: JobFailure) => void;
  /** Jobs dropped unrun at close, once per queue (only the in-process backend drops any). */
  onJobsDiscarded?: (discarded: DiscardedJobs) => void;
  /** Connection and internal errors (the backend keeps going and reconnects by itself). */
  onError?: (error: Error) => void;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/**
 * Semantics both backends share:
 * - a job id dedupes while the job is waiting, delayed (including between retries) or active; completed and
 *   finally failed jobs are removed, so the same id may be enqueued again afterwards;
 * - custom job ids must not be integers and must not contain ':' (BullMQ's rule, enforced by both);
 * - repeat schedules are idempotent per (queue, name); a scheduled run has the id
 *   `repeat:<name>:<scheduled epoch ms>`, and runs are `everyMs` apart;
 * - drain ignores a repeat schedule's next, not yet due, run.
 */
export interface QueueBackend {
  enqueue<T>(queue: string, name: string, data: T, options?: JobOptions): Promise<void>;
  /** Starts processing `queue`; the handler throwing means "retry with backoff". */
  work<T>(queue: string, handler: JobHandler<T>, options?: { concurrency?: number }): QueueWorker;
  /** Schedules `name` on `queue` every `everyMs` (one schedule per name across replicas). */
  repeat(queue: string, name: string, everyMs: number): Promise<void>;
  /** Resolves when `queue` has no waiting, delayed or active jobs (tests and graceful shutdown). */
  drain(queue: string, timeoutMs?: number): Promise<void>;
  /** How many jobs of `queue` wait, run and sit delayed now (metrics; a schedule's next run counts as delayed). */
  depth(queue: string): Promise<QueueDepth>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
