import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { revokedGrantKey } from '@airlock/contracts';
import { createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { NEEDS_REDIS, startThrowawayRedis, testRedisUrl } from '@airlock/redis/testing';
import type { ThrowawayRedis } from '@airlock/redis/testing';
import { RevokedGrantSet } from '../src/index.js';

// A redis-server of the test's own (never the shared one), stopped and started to cut pub/sub: only where
// Redis is installed (REDIS_URL set).
describe.skipIf(!testRedisUrl)(`revoked-grant set across a hot-store outage ${NEEDS_REDIS}`, () => {
  let redis: ThrowawayRedis;
  let subscriberSide: HotStore;
  let publisherSide: HotStore;
  let set: RevokedGrantSet;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    subscriberSide = createRedisHotStore({ url: redis.url });
    publisherSide = createRedisHotStore({ url: redis.url });
    // The regular rescan period is far beyond the test: only noticing the outage can catch up.
    set = new RevokedGrantSet({ hot: subscriberSide, resyncIntervalMs: 60_000 });
    await set.start();
  });

  afterAll(async () => {
    await set?.close();
    await subscriberSide?.close();
    await publisherSide?.close();
    await redis?.stop();
  });

  it('catches up on revocations it could not hear about once the hot store is back', async () => {
    await redis.stop();
    // Long enough for the once-a-second check to notice the outage.
    await vi.waitFor(() => expect(subscriberSide.ping()).rejects.toThrow(), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await redis.start();
    // Revoked while this replica was cut off: the marker is there, the message was never delivered.
    await vi.waitFor(() => publisherSide.set(revokedGrantKey('acme', 'g-missed'), 'token_replayed', { ttlMs: 600_000 }), { timeout: 10_000, interval: 100 });
    expect(set.has('acme', 'g-missed')).toBe(false);
    await vi.waitFor(() => expect(set.has('acme', 'g-missed')).toBe(true), { timeout: 10_000, interval: 100 });
  }, 30_000);
});
