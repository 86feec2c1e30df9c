import type { JobFailure } from '@airlock/queue';
import type { DegradedDetail } from '@airlock/http-server';

interface QueueTally {
  count: number;
  /** Names with how many of each (names only: job data may hold anything). */
  jobs: Record<string, number>;
  lastAt: string;
}

export interface FailedJobs {
  /** Counts a failure when it is final (no attempt left: the job is dropped). */
  record(failure: JobFailure): void;
  /** For the `queues` readiness check: undefined while no job was lost since the process started. */
  degraded(): DegradedDetail | undefined;
  /** Dropped jobs per queue since the process started (metrics). */
  dropped(): ReadonlyMap<string, number>;
}

/**
 * Jobs dropped after their last attempt, per queue, since the process started. A dropped job is lost work
 * (an audit record never written): /readyz shows it as `degraded` until the process restarts, so it does
 * not hide behind a healthy queue connection; the log has the error line of each.
 */
export function createFailedJobs(now: () => number = Date.now): FailedJobs {
  const byQueue = new Map<string, QueueTally>();
  return {
    record(failure) {
      if (!failure.final) return;
      const tally = byQueue.get(failure.queue) ?? { count: 0, jobs: {}, lastAt: '' };
      tally.count += 1;
      tally.jobs[failure.name] = (tally.jobs[failure.name] ?? 0) + 1;
      tally.lastAt = new Date(now()).toISOString();
      byQueue.set(failure.queue, tally);
    },
    dropped() {
      return new Map([...byQueue].map(([queue, tally]) => [queue, tally.count]));
    },
    degraded() {
      if (byQueue.size === 0) return undefined;
      return { degraded: { failedJobs: Object.fromEntries([...byQueue].map(([queue, tally]) => [queue, { ...tally, jobs: { ...tally.jobs } }])) } };
    },
  };
}
