import type { JobFailure, QueueBackend } from '@airlock/queue';
import type { HotStore } from '@airlock/redis';
import { createTestHotStore, createTestQueues, testRedisUrl } from '@airlock/testing';

export interface TestBackends {
  /** A new connection to the same store (another "replica"). */
  hot(): HotStore;
  queues: QueueBackend;
  /** Every failed job attempt (a retry follows unless attempts are exhausted). */
  failures: JobFailure[];
  /** On Redis: where it is and the prefixes in use (for helper processes). */
  redis?: { url: string; hotPrefix: string; queuePrefix: string };
  close(): Promise<void>;
}

/** A hot store and queues of their own (the testing lib's: unique prefixes on Redis, a private hub in memory). */
export function createTestBackends(options: { redisUrl?: string | undefined } = {}): TestBackends {
  const url = options.redisUrl ?? testRedisUrl;
  const failures: JobFailure[] = [];
  const hot = createTestHotStore({ redisUrl: url });
  const queues = createTestQueues({ redisUrl: url, onJobFailed: (failure) => void failures.push(failure) });
  return {
    failures,
    ...(url ? { redis: { url, hotPrefix: hot.keyPrefix, queuePrefix: queues.prefix } } : {}),
    hot: () => hot.peer(),
    queues,
    close: async () => {
      await queues.close();
      await hot.close().catch(() => undefined);
    },
  };
}
