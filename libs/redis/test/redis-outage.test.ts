import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisHotStore, HotStoreUnavailableError } from '../src/index.js';
import type { HotStore } from '../src/index.js';
import { eventually } from './hot-store.behaviour.js';
import { freePort, NEEDS_REDIS, startThrowawayRedis, testRedisUrl } from '../src/testing/index.js';
import type { ThrowawayRedis } from '../src/testing/index.js';

// A redis-server of the test's own, stopped and started: only where Redis is installed (REDIS_URL set).
describe.skipIf(!testRedisUrl)(`Redis hot store when Redis goes away and comes back ${NEEDS_REDIS}`, () => {
  let redis: ThrowawayRedis;
  let store: HotStore;
  let publisher: HotStore;
  const connectionErrors: Error[] = [];

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    store = createRedisHotStore({ url: redis.url, keyPrefix: 'outage:', onConnectionError: (e) => connectionErrors.push(e) });
    publisher = createRedisHotStore({ url: redis.url, keyPrefix: 'outage:' });
  });

  afterAll(async () => {
    await store?.close();
    await publisher?.close();
    await redis?.stop();
  });

  it('fails fast with a clear error while Redis is down, then recovers by itself', async () => {
    await store.set('k', 'before');
    expect(await store.get('k')).toBe('before');
    const received: string[] = [];
    let gaps = 0;
    await store.subscribe('events', (m) => received.push(m), { onResubscribed: () => (gaps += 1) });
    await publisher.publish('events', 'before');
    await eventually(() => received.length === 1);

    await redis.stop();

    // Every kind of call rejects promptly (a hang would fail this test by its timeout) with an error
    // that says what is wrong and where.
    for (const call of [() => store.get('k'), () => store.set('k', 'v'), () => store.incr('n', 1000), () => store.ping(), () => store.publish('events', 'lost')]) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HotStoreUnavailableError);
      expect((error as Error).message).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${redis.port} is not reachable`));
    }
    // The owner hears about the outage (once, not once per retry).
    await eventually(() => connectionErrors.length > 0);

    await redis.start();

    // Nobody calls connect(): the store reconnects on its own.
    await eventually(async () => store.ping().then(() => true, () => false), 10_000);
    expect(await store.get('k')).toBeNull(); // the throwaway server keeps no data across restarts
    await store.set('k', 'after');
    expect(await store.get('k')).toBe('after');

    // The subscription came back too (resubscribed on reconnect), and its owner heard about the gap.
    await eventually(() => gaps === 1, 10_000);
    await eventually(async () => publisher.ping().then(() => true, () => false), 10_000);
    await eventually(async () => {
      await publisher.publish('events', 'after');
      return received.includes('after');
    }, 10_000);
    expect(received).not.toContain('lost');
  });

  it('fails fast when Redis is down from the start, and connects once it is up', async () => {
    const port = await freePort();
    const late = createRedisHotStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 });
    try {
      await expect(late.get('k')).rejects.toThrow(HotStoreUnavailableError);
      const server = await startThrowawayRedis({ port });
      try {
        await eventually(async () => late.ping().then(() => true, () => false), 10_000);
        expect(await late.set('k', 'v')).toBe(true);
      } finally {
        await server.stop();
      }
    } finally {
      await late.close();
    }
  });
});
