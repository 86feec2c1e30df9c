import { createLogThrottle } from '@airlock/observability';
import type { Logger } from '@airlock/observability';
import type { JobFailure, QueueBackendHooks } from '@airlock/queue';

export interface InfraLogHooks {
  /** For the Redis hot store's `onConnectionError`. */
  onHotStoreError(error: Error): void;
  /** For a queue backend (both hooks). */
  queues: Required<QueueBackendHooks>;
}

/**
 * What the hot store and the queues report, to the log: an outage shows at once, then at most one line per
 * kind per `everyMs` (default a minute) with how many were held back. Errors are logged as `failure`:
 * type, code and message only (a Redis client error can carry the command and its arguments: AUTH's
 * password, a token in a key); job data is never logged.
 */
export function infraLogHooks(logger: Logger, options: { everyMs?: number; now?: () => number } = {}): InfraLogHooks {
  const throttle = createLogThrottle({ everyMs: options.everyMs ?? 60_000, ...(options.now ? { now: options.now } : {}) });
  return {
    onHotStoreError: (error) => throttle('hot-store', (suppressed) => logger.warn({ failure: summary(error), suppressed }, 'hot store connection error; reconnecting')),
    queues: {
      onError: (error) => throttle('queues', (suppressed) => logger.warn({ failure: summary(error), suppressed }, 'queue connection error; reconnecting')),
      // Not throttled: once per queue at close, and each is lost work.
      onJobsDiscarded: ({ queue, count, names }) => logger.error({ queue, count, jobs: names }, 'queue closed with jobs not run; they are lost'),
      onJobFailed: (failure: JobFailure) => {
        const { queue, name, id, attempt, final } = failure;
        throttle(`job:${queue}:${name}:${final ? 'final' : 'retry'}`, (suppressed) => {
          const fields = { queue, job: name, jobId: id, attempt, failure: summary(failure.error), suppressed };
          if (final) logger.error(fields, 'job failed for good after its last attempt');
          else logger.warn(fields, 'job failed; retrying with backoff');
        });
      },
    },
  };
}

function summary(error: Error): { type: string; message: string; code?: string } {
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}
