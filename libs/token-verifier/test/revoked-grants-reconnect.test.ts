import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GRANT_REVOKED_CHANNEL, revokedGrantKey } from '@airlock/contracts';
import { createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { NEEDS_REDIS, testRedisUrl, withLossySubscriptions } from '@airlock/redis/testing';
import { createTestHotStore, TcpProxy } from '@airlock/testing';
import { RevokedGrantSet } from '../src/index.js';

describe('revoked-grant set after its subscription was re-established', () => {
  it('rescans at once, catching revocations published while it was cut off', async () => {
    const hot = createTestHotStore();
    const link = withLossySubscriptions(hot);
    // The regular rescan period is far beyond the test: only hearing of the gap can catch up.
    const set = new RevokedGrantSet({ hot: link.store, resyncIntervalMs: 600_000 });
    try {
      await set.start();
      await hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify({ tenant: 'acme', grantId: 'g-heard', reason: 'admin_revoked', notAfter: Math.floor(Date.now() / 1000) + 600 }));
      await vi.waitFor(() => expect(set.has('acme', 'g-heard')).toBe(true));

      link.cut = true;
      await hot.set(revokedGrantKey('acme', 'g-missed'), 'token_replayed', { ttlMs: 600_000 });
      await hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify({ tenant: 'acme', grantId: 'g-missed', reason: 'token_replayed', notAfter: Math.floor(Date.now() / 1000) + 600 }));
      await vi.waitFor(() => expect(link.dropped).toBe(1));
      link.cut = false;
      expect(set.has('acme', 'g-missed')).toBe(false);
      link.resubscribed();
      await vi.waitFor(() => expect(set.has('acme', 'g-missed')).toBe(true), { timeout: 2_000, interval: 20 });
    } finally {
      await set.close();
      await hot.close();
    }
  });
});

// The run's Redis behind a proxy this test cuts: only with REDIS_URL set.
describe.skipIf(!testRedisUrl)(`revoked-grant set across a real connection loss ${NEEDS_REDIS}`, () => {
  const keyPrefix = `test:token-verifier:${randomBytes(6).toString('hex')}:`;
  let proxy: TcpProxy;
  let subscriberSide: HotStore;
  let publisherSide: HotStore;
  let set: RevokedGrantSet;

  beforeAll(async () => {
    const redis = new URL(testRedisUrl ?? '');
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    await proxy.start();
    const viaProxy = new URL(redis);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    subscriberSide = createRedisHotStore({ url: viaProxy.toString(), keyPrefix });
    publisherSide = createRedisHotStore({ url: redis.toString(), keyPrefix });
    // The regular rescan period is far beyond the test: only hearing of the gap can catch up.
    set = new RevokedGrantSet({ hot: subscriberSide, resyncIntervalMs: 600_000 });
    await set.start();
  });

  afterAll(async () => {
    await set?.close();
    await subscriberSide?.close();
    await publisherSide?.del(revokedGrantKey('acme', 'g-missed'));
    await publisherSide?.close();
    await proxy?.stop();
  });

  it('catches up on a revocation published while it was cut off, once it is back', async () => {
    await proxy.stop();
    await vi.waitFor(() => expect(subscriberSide.ping()).rejects.toThrow(), { timeout: 5_000 });
    // Revoked while this replica was cut off: the marker is there, the message never reaches it.
    await publisherSide.set(revokedGrantKey('acme', 'g-missed'), 'token_replayed', { ttlMs: 600_000 });
    await publisherSide.publish(GRANT_REVOKED_CHANNEL, JSON.stringify({ tenant: 'acme', grantId: 'g-missed', reason: 'token_replayed', notAfter: Math.floor(Date.now() / 1000) + 600 }));
    expect(set.has('acme', 'g-missed')).toBe(false);
    await proxy.start();
    await vi.waitFor(() => expect(set.has('acme', 'g-missed')).toBe(true), { timeout: 10_000, interval: 50 });
  }, 30_000);
});
