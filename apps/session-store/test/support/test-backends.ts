import { randomBytes } from 'node:crypto';
import { createBullMqBackend, createMemoryQueueBackend } from '@airlock/queue';
import type { JobFailure, QueueBackend } from '@airlock/queue';
import { createMemoryHotStore, createRedisHotStore, MemoryHotStoreHub } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { testRedisUrl } from '@airlock/testing';

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

/** A hot store and queues of their own (unique key prefix on Redis, a private hub in memory). */
export function createTestBackends(options: { redisUrl?: string | undefined; lockDurationMs?: number } = {}): TestBackends {
  const url = options.redisUrl ?? testRedisUrl;
  const prefix = `test:session-store:${randomBytes(6).toString('hex')}:`;
  const opened: HotStore[] = [];
  const failures: JobFailure[] = [];
  const onJobFailed = (failure: JobFailure) => void failures.push(failure);
  if (url) {
    const queuePrefix = prefix.slice(0, -1).replace(/:/g, '-');
    const queues = createBullMqBackend({
      url,
      prefix: queuePrefix,
      lockDurationMs: options.lockDurationMs ?? 2000,
      stalledIntervalMs: 1000,
      onJobFailed,
    });
    return {
      failures,
      redis: { url, hotPrefix: prefix, queuePrefix },
      hot: () => {
        const hot = createRedisHotStore({ url, keyPrefix: prefix });
        opened.push(hot);
        return hot;
      },
      queues,
      close: async () => {
        await queues.close();
        await Promise.all(opened.map((hot) => hot.close().catch(() => undefined)));
      },
    };
  }
  const hub = new MemoryHotStoreHub();
  const queues = createMemoryQueueBackend({ onJobFailed });
  return {
    failures,
    hot: () => {
      const hot = createMemoryHotStore({ hub });
      opened.push(hot);
      return hot;
    },
    queues,
    close: async () => {
      await queues.close();
      await Promise.all(opened.map((hot) => hot.close().catch(() => undefined)));
      hub.close();
    },
  };
}
