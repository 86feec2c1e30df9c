import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createRedisHotStore, HotStoreUnavailableError } from '@airlock/redis';
import { createTestHotStore, createTestQueues, NEEDS_REDIS, startThrowawayRedis, testRedisUrl } from '../src/index.js';

const mode = testRedisUrl ? 'Redis' : 'in-process';

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe(`createTestHotStore (${mode})`, () => {
  it('gives each caller its own keys, shares them with its peers, and cleans up on close', async () => {
    const a = createTestHotStore();
    const b = createTestHotStore();
    expect(a.keyPrefix).not.toBe(b.keyPrefix);
    await a.set('k', 'a');
    expect(await b.get('k')).toBeNull();

    const peer = a.peer();
    expect(await peer.get('k')).toBe('a');
    const heard: string[] = [];
    await peer.subscribe('revoked', (m) => heard.push(m));
    await a.publish('revoked', 'session-1');
    await eventually(() => heard.length === 1);

    await a.close();
    await expect(peer.get('k')).rejects.toThrow(HotStoreUnavailableError);
    if (testRedisUrl) {
      // Nothing left behind under the prefix.
      const raw = createRedisHotStore({ url: testRedisUrl, keyPrefix: a.keyPrefix });
      expect(await raw.scan('*')).toEqual([]);
      await raw.close();
    }
    await b.close();
  });
});

describe(`createTestQueues (${mode})`, () => {
  it('runs jobs across replicas on queues of their own', async () => {
    const queues = createTestQueues();
    const other = createTestQueues();
    const replica = queues.peer();
    const seen: string[] = [];
    replica.work<{ n: number }>('jobs', async (job) => void seen.push(`replica-${job.data.n}`));
    other.work<{ n: number }>('jobs', async (job) => void seen.push(`other-${job.data.n}`));
    await queues.enqueue('jobs', 'job', { n: 1 });
    await queues.drain('jobs');
    await eventually(() => seen.length === 1);
    expect(seen).toEqual(['replica-1']);
    await queues.close();
    await other.close();
  });
});

describe.skipIf(!testRedisUrl)(`startThrowawayRedis ${NEEDS_REDIS}`, () => {
  it('starts, stops and restarts a private redis-server', async () => {
    const redis = await startThrowawayRedis();
    const store = createRedisHotStore({ url: redis.url });
    try {
      await store.ping();
      await redis.stop();
      await expect(store.ping()).rejects.toThrow(HotStoreUnavailableError);
      await redis.start();
      await eventually(async () => store.ping().then(() => true, () => false));
    } finally {
      await store.close();
      await redis.stop();
    }
  });
});
