import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBullMqBackend, QueueUnavailableError } from '../src/index.js';
import type { QueueBackend } from '../src/index.js';
import { eventually } from './queue-backend.behaviour.js';
import { NEEDS_REDIS, startThrowawayRedis, testRedisUrl } from '@airlock/redis/testing';
import type { ThrowawayRedis } from '@airlock/redis/testing';

// A redis-server of the test's own, stopped and started: only where Redis is installed (REDIS_URL set).
describe.skipIf(!testRedisUrl)(`BullMQ backend when Redis goes away and comes back ${NEEDS_REDIS}`, () => {
  let redis: ThrowawayRedis;
  let backend: QueueBackend;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    backend = createBullMqBackend({ url: redis.url, prefix: 'outage', stalledIntervalMs: 500, lockDurationMs: 1000 });
  });

  afterAll(async () => {
    await backend?.close();
    await redis?.stop();
  });

  it('fails producers fast with a clear error while Redis is down; workers resume by themselves', async () => {
    const done: string[] = [];
    backend.work<{ n: number }>('jobs', async (job) => void done.push(`${job.name}-${job.data.n}`));
    await backend.enqueue('jobs', 'before', { n: 1 });
    await eventually(() => done.length === 1);

    await redis.stop();
    for (const call of [() => backend.enqueue('jobs', 'during', { n: 2 }), () => backend.ping(), () => backend.repeat('jobs', 'sweep', 1000)]) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect((error as Error).message).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${redis.port} is not reachable`));
    }

    await redis.start();
    await eventually(async () => backend.ping().then(() => true, () => false), 15_000);
    await backend.enqueue('jobs', 'after', { n: 3 });
    // The worker created before the outage picks up new work without being recreated.
    await eventually(() => done.includes('after-3'), 15_000);
    expect(done).toEqual(['before-1', 'after-3']);
  });
});
