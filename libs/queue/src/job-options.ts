import type { JobOptions } from './queue-backend.js';

export const DEFAULT_ATTEMPTS = 10;
export const DEFAULT_BACKOFF_MS = 1000;

/** Resolved job options, validated the same way by both backends. */
export interface ResolvedJobOptions {
  jobId: string | undefined;
  delayMs: number;
  attempts: number;
  backoffMs: number;
}

export function resolveJobOptions(options: JobOptions = {}): ResolvedJobOptions {
  if (options.jobId !== undefined) assertCustomJobId(options.jobId);
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a whole number of at least 1, got ${attempts}`);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new RangeError(`backoffMs must be zero or more, got ${backoffMs}`);
  const delayMs = options.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delayMs must be zero or more, got ${delayMs}`);
  return { jobId: options.jobId, delayMs, attempts, backoffMs };
}

/** BullMQ refuses integer ids (they collide with its own) and ids with ':' (its key separator). */
export function assertCustomJobId(jobId: string): void {
  if (jobId === '' || `${Number.parseInt(jobId, 10)}` === jobId) throw new RangeError(`job id must not be empty or an integer: ${JSON.stringify(jobId)}`);
  if (jobId.includes(':')) throw new RangeError(`job id must not contain ':': ${JSON.stringify(jobId)}`);
}

/** Delay before try `attempt + 1` after try `attempt` failed (BullMQ's exponential backoff). */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return Math.round(backoffMs * 2 ** (attempt - 1));
}

export function repeatJobId(name: string, slotMs: number): string {
  return `repeat:${name}:${slotMs}`;
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
