import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { compareStreamIds, HotStoreUnavailableError } from '../src/index.js';
import type { HotStore } from '../src/index.js';

/** How a behaviour suite reaches one backend (a Redis server, or one in-process hub). */
export interface HotStoreBackend {
  /** A client under `keyPrefix` (one per test, so tests never see each other's keys). */
  client(keyPrefix: string): HotStore;
}

let counter = 0;
const uniquePrefix = () => `test:${process.pid}:${Date.now().toString(36)}:${counter++}:`;

/** Waits until `condition` holds (polling), failing after `timeoutMs`; never asserts on elapsed time. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/**
 * One behaviour suite for every HotStore implementation: the in-process stand-in must behave like Redis
 * wherever a service could tell the difference.
 */
export function describeHotStoreBehaviour(name: string, backend: HotStoreBackend): void {
  describe(`HotStore behaviour: ${name}`, () => {
    const open: HotStore[] = [];
    const client = (prefix: string) => {
      const store = backend.client(prefix);
      open.push(store);
      return store;
    };
    let prefix = '';
    const store = () => client(prefix);

    afterEach(async () => {
      const stores = open.splice(0);
      // Leave nothing behind on a shared Redis.
      for (const s of stores) await s.scan('*').then((keys) => s.del(...keys), () => 0);
      await Promise.all(stores.map((s) => s.close()));
    });

    const fresh = () => {
      prefix = uniquePrefix();
      return store();
    };

    it('gets, sets, mgets and deletes strings', async () => {
      const s = fresh();
      expect(await s.get('missing')).toBeNull();
      expect(await s.set('a', '1')).toBe(true);
      expect(await s.set('b', 'two')).toBe(true);
      expect(await s.get('a')).toBe('1');
      expect(await s.mget(['a', 'missing', 'b'])).toEqual(['1', null, 'two']);
      expect(await s.mget([])).toEqual([]);
      expect(await s.del('a', 'missing')).toBe(1);
      expect(await s.get('a')).toBeNull();
      expect(await s.del()).toBe(0);
    });

    it('SET NX only writes an absent key', async () => {
      const s = fresh();
      expect(await s.set('k', 'first', { onlyIfAbsent: true })).toBe(true);
      expect(await s.set('k', 'second', { onlyIfAbsent: true })).toBe(false);
      expect(await s.get('k')).toBe('first');
      expect(await s.set('k', 'third')).toBe(true);
      expect(await s.get('k')).toBe('third');
    });

    it('expires keys after their TTL, and a plain SET clears a TTL', async () => {
      const s = fresh();
      await s.set('short', 'v', { ttlMs: 60 });
      await s.set('cleared', 'v', { ttlMs: 60 });
      await s.set('cleared', 'v2');
      expect(await s.get('short')).toBe('v');
      await sleep(120);
      expect(await s.get('short')).toBeNull();
      expect(await s.pttl('short')).toBe(-2);
      expect(await s.get('cleared')).toBe('v2');
      expect(await s.pttl('cleared')).toBe(-1);
    });

    it('pttl follows Redis: -2 missing, -1 without TTL, else the remaining milliseconds', async () => {
      const s = fresh();
      expect(await s.pttl('missing')).toBe(-2);
      await s.set('forever', 'v');
      expect(await s.pttl('forever')).toBe(-1);
      await s.set('ttl', 'v', { ttlMs: 10_000 });
      const remaining = await s.pttl('ttl');
      expect(remaining).toBeGreaterThan(5_000);
      expect(remaining).toBeLessThanOrEqual(10_000);
      expect(await s.expire('missing', 1000)).toBe(false);
      expect(await s.expire('forever', 60)).toBe(true);
      expect(await s.pttl('forever')).toBeGreaterThan(0);
      await sleep(120);
      expect(await s.get('forever')).toBeNull();
    });

    it('refuses a zero or negative TTL like Redis does', async () => {
      const s = fresh();
      await expect(s.set('k', 'v', { ttlMs: 0 })).rejects.toThrow(RangeError);
      await expect(s.expire('k', -5)).rejects.toThrow(RangeError);
      expect(await s.get('k')).toBeNull();
    });

    it('getDel is atomic: of 20 concurrent callers on several clients exactly one gets the value', async () => {
      const s = fresh();
      const clients = [s, store(), store(), store()];
      for (let round = 0; round < 5; round++) {
        await s.set(`code:${round}`, `value-${round}`, { ttlMs: 10_000 });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (clients[i % clients.length] as HotStore).getDel(`code:${round}`)));
        expect(results.filter((r) => r !== null)).toEqual([`value-${round}`]);
        expect(await s.get(`code:${round}`)).toBeNull();
      }
    });

    it('incr counts atomically and sets the TTL only when it creates the key', async () => {
      const s = fresh();
      const counts = await Promise.all(Array.from({ length: 10 }, () => s.incr('window', 150)));
      expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // A later call with a longer TTL does not extend the window.
      expect(await s.incr('window', 100_000)).toBe(11);
      expect(await s.pttl('window')).toBeLessThanOrEqual(150);
      await sleep(200);
      expect(await s.incr('window', 100_000)).toBe(1);
      expect(await s.pttl('window')).toBeGreaterThan(150);
    });

    it('incrMany adds `by` at once (leases of several units), the TTL still set only on creation', async () => {
      const s = fresh();
      expect(await s.incrMany([{ key: 'lease', ttlMs: 100_000, by: 10 }, { key: 'one', ttlMs: 100_000 }])).toEqual([10, 1]);
      expect(await s.incrMany([{ key: 'lease', ttlMs: 50, by: 5 }])).toEqual([15]);
      expect(await s.pttl('lease')).toBeGreaterThan(50);
      await expect(s.incrMany([{ key: 'lease', ttlMs: 100_000, by: 0 }])).rejects.toThrow(RangeError);
      await expect(s.incrMany([{ key: 'lease', ttlMs: 100_000, by: 1.5 }])).rejects.toThrow(RangeError);
      expect(await s.get('lease')).toBe('15');
    });

    it('incrMany counts several windows in one call, each with its own TTL set only on creation', async () => {
      const s = fresh();
      expect(await s.incrMany([])).toEqual([]);
      expect(await s.incrMany([{ key: 'w1', ttlMs: 150 }, { key: 'w2', ttlMs: 100_000 }])).toEqual([1, 1]);
      await s.incr('w2', 100_000);
      expect(await s.incrMany([{ key: 'w1', ttlMs: 100_000 }, { key: 'w2', ttlMs: 100_000 }])).toEqual([2, 3]);
      expect(await s.pttl('w1')).toBeLessThanOrEqual(150);
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => s.incrMany([{ key: 'w1', ttlMs: 150 }])));
      expect(concurrent.map(([count]) => count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([3, 4, 5, 6, 7]);
      await sleep(200);
      expect(await s.incrMany([{ key: 'w1', ttlMs: 100_000 }, { key: 'w2', ttlMs: 100_000 }])).toEqual([1, 4]);
      expect(await s.pttl('w1')).toBeGreaterThan(150);
      await expect(s.incrMany([{ key: 'w3', ttlMs: 0 }])).rejects.toThrow(RangeError);
      expect(await s.get('w3')).toBeNull();
    });

    it('setMany and expireMany write many keys in one call', async () => {
      const s = fresh();
      await s.setMany([
        { key: 'm1', value: 'a', ttlMs: 10_000 },
        { key: 'm2', value: 'b' },
      ]);
      await s.setMany([]);
      expect(await s.mget(['m1', 'm2'])).toEqual(['a', 'b']);
      expect(await s.pttl('m1')).toBeGreaterThan(0);
      expect(await s.pttl('m2')).toBe(-1);
      await s.expireMany([
        { key: 'm1', ttlMs: 60 },
        { key: 'm2', ttlMs: 60 },
        { key: 'missing', ttlMs: 60 },
      ]);
      await s.expireMany([]);
      expect(await s.get('missing')).toBeNull();
      await sleep(120);
      expect(await s.mget(['m1', 'm2'])).toEqual([null, null]);
    });

    it('keeps sets, with a TTL, and drops a set whose last member goes', async () => {
      const s = fresh();
      await s.sadd('grant:1', ['s1', 's2']);
      await s.sadd('grant:1', ['s2', 's3'], 10_000);
      await s.sadd('grant:1', []);
      expect((await s.smembers('grant:1')).sort()).toEqual(['s1', 's2', 's3']);
      expect(await s.pttl('grant:1')).toBeGreaterThan(0);
      await s.srem('grant:1', ['s1', 'nope']);
      expect((await s.smembers('grant:1')).sort()).toEqual(['s2', 's3']);
      await s.srem('grant:1', ['s2', 's3']);
      expect(await s.smembers('grant:1')).toEqual([]);
      expect(await s.pttl('grant:1')).toBe(-2);
      await s.sadd('short', ['x'], 60);
      await sleep(120);
      expect(await s.smembers('short')).toEqual([]);
    });

    it('refuses an operation on a key of another type (WRONGTYPE)', async () => {
      const s = fresh();
      await s.sadd('a-set', ['x']);
      await expect(s.get('a-set')).rejects.toThrow(/WRONGTYPE/);
      await expect(s.getDel('a-set')).rejects.toThrow(/WRONGTYPE/);
      await expect(s.incr('a-set', 1000)).rejects.toThrow(/WRONGTYPE/);
      await s.set('a-string', 'v');
      await expect(s.sadd('a-string', ['x'])).rejects.toThrow(/WRONGTYPE/);
      await expect(s.incr('a-string', 1000)).rejects.toThrow(/not an integer/);
    });

    it('appends stream entries with ids that increase in append order', async () => {
      const s = fresh();
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push(await s.xadd('events', `e${i}`, { maxLen: 1000, ttlMs: 10_000 }));
      for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1] as string, ids[i] as string)).toBeLessThan(0);
      const all = await s.xrangeAfter('events', '0', 1000);
      expect(all.map((e) => e.id)).toEqual(ids);
      expect(all.map((e) => e.data)).toEqual(ids.map((_, i) => `e${i}`));
    });

    it('appends with an explicit id only when it is greater than the last one', async () => {
      const s = fresh();
      expect(await s.xadd('events', 'a', { maxLen: 100, ttlMs: 10_000, id: '1000-0' })).toBe('1000-0');
      // Issued without awaiting in between: applied in issue order (one writer pipelining its appends).
      const pipelined = await Promise.all([
        s.xadd('events', 'b', { maxLen: 100, ttlMs: 10_000, id: '1000-1' }),
        s.xadd('events', 'c', { maxLen: 100, ttlMs: 10_000, id: '1001-0' }),
      ]);
      expect(pipelined).toEqual(['1000-1', '1001-0']);
      await expect(s.xadd('events', 'stale', { maxLen: 100, ttlMs: 10_000, id: '1000-5' })).rejects.toThrow();
      await expect(s.xadd('events', 'bad', { maxLen: 100, ttlMs: 10_000, id: 'nope' })).rejects.toThrow(RangeError);
      // An automatic id after explicit ones still sorts after them.
      const auto = await s.xadd('events', 'd', { maxLen: 100, ttlMs: 10_000 });
      expect(compareStreamIds('1001-0', auto)).toBeLessThan(0);
      expect((await s.xrangeAfter('events', '0', 10)).map((e) => e.data)).toEqual(['a', 'b', 'c', 'd']);
    });

    it('appends several entries with explicit ids in one call', async () => {
      const s = fresh();
      await s.xaddMany('events', [], { maxLen: 100, ttlMs: 10_000 });
      expect(await s.pttl('events')).toBe(-2);
      await s.xaddMany('events', [{ id: '2000-0', data: 'a' }, { id: '2000-1', data: 'b' }, { id: '2001-0', data: 'c' }], { maxLen: 100, ttlMs: 10_000 });
      expect(await s.xrangeAfter('events', '2000-0', 10)).toEqual([{ id: '2000-1', data: 'b' }, { id: '2001-0', data: 'c' }]);
      expect(await s.pttl('events')).toBeGreaterThan(9_000);
      await expect(s.xaddMany('events', [{ id: '1999-0', data: 'stale' }], { maxLen: 100, ttlMs: 10_000 })).rejects.toThrow();
      await expect(s.xaddMany('events', [{ id: 'x', data: 'bad' }], { maxLen: 100, ttlMs: 10_000 })).rejects.toThrow(RangeError);
      expect((await s.xrangeAfter('events', '0', 10)).map((e) => e.data)).toEqual(['a', 'b', 'c']);
    });

    it('xrangeAfter is exclusive of the given id and honours count', async () => {
      const s = fresh();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push(await s.xadd('events', `e${i}`, { maxLen: 100, ttlMs: 10_000 }));
      expect((await s.xrangeAfter('events', ids[4] as string, 3)).map((e) => e.data)).toEqual(['e5', 'e6', 'e7']);
      expect(await s.xrangeAfter('events', ids[9] as string, 10)).toEqual([]);
      expect(await s.xrangeAfter('missing-stream', '0', 10)).toEqual([]);
      await expect(s.xrangeAfter('events', 'not-an-id', 10)).rejects.toThrow(RangeError);
    });

    it('trims a stream to about maxLen, keeping the newest entries', async () => {
      const s = fresh();
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push(await s.xadd('events', `e${i}`, { maxLen: 10, ttlMs: 10_000 }));
      const kept = await s.xrangeAfter('events', '0', 1000);
      // Redis trims whole nodes with MAXLEN ~: at least maxLen survive, far fewer than were appended.
      expect(kept.length).toBeGreaterThanOrEqual(10);
      expect(kept.length).toBeLessThan(300);
      expect(kept.slice(-10).map((e) => e.id)).toEqual(ids.slice(-10));
      expect(kept[0]?.id).not.toBe(ids[0]);
    });

    it('expires a stream after its TTL, refreshed by each append', async () => {
      const s = fresh();
      await s.xadd('events', 'a', { maxLen: 10, ttlMs: 10_000 });
      await s.xadd('events', 'b', { maxLen: 10, ttlMs: 60 });
      expect(await s.pttl('events')).toBeLessThanOrEqual(60);
      await sleep(120);
      expect(await s.xrangeAfter('events', '0', 10)).toEqual([]);
      expect(await s.pttl('events')).toBe(-2);
    });

    it('scans keys by glob pattern', async () => {
      const s = fresh();
      await s.setMany([
        { key: 'session:a', value: '1' },
        { key: 'session:b', value: '2' },
        { key: 'other:c', value: '3' },
      ]);
      await s.sadd('session:set', ['x']);
      expect((await s.scan('session:*')).sort()).toEqual(['session:a', 'session:b', 'session:set']);
      expect((await s.scan('session:?')).sort()).toEqual(['session:a', 'session:b']);
      expect((await s.scan('*')).sort()).toEqual(['other:c', 'session:a', 'session:b', 'session:set']);
      expect(await s.scan('none:*')).toEqual([]);
    });

    it('delivers pub/sub messages across two clients, in order, until unsubscribed', async () => {
      const publisher = fresh();
      const subscriber = store();
      const received: string[] = [];
      const unsubscribe = await subscriber.subscribe('revocations', (m) => received.push(m));
      const sentinel: string[] = [];
      await subscriber.subscribe('sentinel', (m) => sentinel.push(m));
      for (let i = 0; i < 5; i++) await publisher.publish('revocations', `m${i}`);
      await eventually(() => received.length === 5);
      expect(received).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);

      await unsubscribe();
      await unsubscribe();
      await publisher.publish('revocations', 'after-unsubscribe');
      await publisher.publish('sentinel', 'done');
      await eventually(() => sentinel.length === 1);
      expect(received).toHaveLength(5);
    });

    it('fans a message out to every subscriber, and a throwing listener does not starve the others', async () => {
      const publisher = fresh();
      const a = store();
      const b = store();
      const got: string[] = [];
      await a.subscribe('ch', () => {
        throw new Error('listener bug');
      });
      await a.subscribe('ch', (m) => got.push(`a:${m}`));
      await b.subscribe('ch', (m) => got.push(`b:${m}`));
      await publisher.publish('ch', 'hello');
      await eventually(() => got.length === 2);
      expect(got.sort()).toEqual(['a:hello', 'b:hello']);
    });

    it('isolates key prefixes: keys, scans and channels', async () => {
      const a = fresh();
      const b = client(uniquePrefix());
      await a.set('shared-name', 'from-a');
      await a.sadd('set', ['x']);
      await a.xadd('stream', 'x', { maxLen: 10, ttlMs: 10_000 });
      expect(await b.get('shared-name')).toBeNull();
      expect(await b.smembers('set')).toEqual([]);
      expect(await b.xrangeAfter('stream', '0', 10)).toEqual([]);
      expect(await b.scan('*')).toEqual([]);
      expect((await a.scan('*')).sort()).toEqual(['set', 'shared-name', 'stream']);
      expect(await b.getDel('shared-name')).toBeNull();
      expect(await a.get('shared-name')).toBe('from-a');

      const heardByB: string[] = [];
      const heardByA: string[] = [];
      await b.subscribe('ch', (m) => heardByB.push(m));
      await a.subscribe('ch', (m) => heardByA.push(m));
      await a.publish('ch', 'for-a-only');
      await eventually(() => heardByA.length === 1);
      await b.publish('ch', 'for-b');
      await eventually(() => heardByB.length === 1);
      expect(heardByB).toEqual(['for-b']);
      expect(heardByA).toEqual(['for-a-only']);
    });

    it('pings, and fails with HotStoreUnavailableError once closed', async () => {
      const s = fresh();
      await s.ping();
      await s.close();
      await s.close();
      await expect(s.get('k')).rejects.toThrow(HotStoreUnavailableError);
      await expect(s.ping()).rejects.toThrow(/hot store unavailable/);
    });
  });
}
