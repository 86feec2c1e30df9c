import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createMemoryHotStore, createRedisHotStore, MemoryHotStoreHub } from '../src/index.js';
import { NEEDS_REDIS, testRedisUrl } from '../src/testing/index.js';
import { describeHotStoreBehaviour } from './hot-store.behaviour.js';

// The Redis suite runs against the run's Redis only; without REDIS_URL (embedded mode) there is none.
describe.skipIf(!testRedisUrl)(`on Redis ${NEEDS_REDIS}`, () => {
  describeHotStoreBehaviour('Redis', { client: (keyPrefix) => createRedisHotStore({ url: testRedisUrl ?? '', keyPrefix }) });
});

const hub = new MemoryHotStoreHub();
describeHotStoreBehaviour('in-process', { client: (keyPrefix) => hub.client({ keyPrefix }) });

describe('in-process hot store specifics', () => {
  it('delivers published messages asynchronously, never inside publish()', async () => {
    const store = createMemoryHotStore();
    const received: string[] = [];
    await store.subscribe('ch', (m) => received.push(m));
    const publishing = store.publish('ch', 'hello');
    expect(received).toEqual([]);
    await publishing;
    expect(received).toEqual([]);
    await sleep(5);
    expect(received).toEqual(['hello']);
    await store.close();
  });

  it('sweeps expired keys periodically, not only when they are read', async () => {
    const sweeping = new MemoryHotStoreHub({ sweepIntervalMs: 20 });
    const store = sweeping.client();
    await store.set('a', '1', { ttlMs: 30 });
    await store.set('b', '1');
    expect(sweeping.size()).toBe(2);
    await sleep(100);
    expect(sweeping.size()).toBe(1);
    sweeping.close();
  });

  it('expires by its clock, lazily on read', async () => {
    let now = 1_000_000;
    const clocked = new MemoryHotStoreHub({ now: () => now, sweepIntervalMs: 3_600_000 });
    const store = clocked.client();
    await store.set('k', 'v', { ttlMs: 1000 });
    expect(await store.pttl('k')).toBe(1000);
    now += 999;
    expect(await store.get('k')).toBe('v');
    now += 1;
    expect(await store.get('k')).toBeNull();
    clocked.close();
  });

  it('keeps stream ids increasing when the clock goes back', async () => {
    let now = 5_000;
    const clocked = new MemoryHotStoreHub({ now: () => now });
    const store = clocked.client();
    const first = await store.xadd('s', 'a', { maxLen: 10, ttlMs: 1000 });
    now -= 1000;
    const second = await store.xadd('s', 'b', { maxLen: 10, ttlMs: 1000 });
    expect([first, second]).toEqual(['5000-0', '5000-1']);
    clocked.close();
  });

  it('does not keep the process alive (its sweeper timer is unref\'d)', async () => {
    const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = refTimers();
    const store = createMemoryHotStore();
    expect(refTimers()).toBe(before);
    await store.close();
  });
});
