import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createBullMqBackend, createMemoryQueueBackend } from '@airlock/queue';
import type { QueueBackend, QueueBackendHooks } from '@airlock/queue';
import { testRedisUrl } from '@airlock/redis/testing';
import { extend } from './test-hot-store.js';

export interface TestQueues extends QueueBackend {
  /** The BullMQ prefix (unique per call); informative only in the in-process mode. */
  readonly prefix: string;
  /**
   * A second replica on the same queues (its own BullMQ connections on the same prefix). In the in-process
   * mode it is this backend again, and closing it is a no-op (the owner's close stops everything).
   */
  peer(): QueueBackend;
}

/** Stalled jobs (a killed worker's) are recovered within about 2.5 s in tests instead of 30 s. */
const quickRecovery = { lockDurationMs: 2000, stalledIntervalMs: 500 };

/**
 * Queues of their own: BullMQ under a unique `test-<random>` prefix when REDIS_URL is set (or at `redisUrl`,
 * e.g. a throwaway server), the in-process backend otherwise. close() stops every worker and deletes the
 * prefix's keys.
 */
export function createTestQueues({ redisUrl, ...hooks }: QueueBackendHooks & { redisUrl?: string | undefined } = {}): TestQueues {
  const url = redisUrl ?? testRedisUrl;
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const main = url ? createBullMqBackend({ url, prefix, ...quickRecovery, ...hooks }) : createMemoryQueueBackend(hooks);
  const peers: QueueBackend[] = [];
  let closed = false;
  return extend(main, {
    prefix,
    peer: (): QueueBackend => {
      if (!url) return extend(main, { close: async () => undefined });
      const peer = createBullMqBackend({ url, prefix, ...quickRecovery, ...hooks });
      peers.push(peer);
      return peer;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(peers.map((p) => p.close()));
      await main.close();
      if (url) await deleteKeys(url, `${prefix}:*`);
    },
  });
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for await (const keys of redis.scanStream({ match: pattern, count: 500 })) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
