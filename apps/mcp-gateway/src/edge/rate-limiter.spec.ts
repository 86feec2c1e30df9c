import { describe, expect, it } from 'vitest';
import { MemoryHotStoreHub, createMemoryHotStore } from '@airlock/redis';
import { RateLimiter, leaseSize } from './rate-limiter.js';

const hour = 3_600_000;

describe('RateLimiter (leases of the shared counters)', () => {
  it('allows exactly the limit on one replica, also for concurrent requests', async () => {
    const limiter = new RateLimiter(createMemoryHotStore(), { perSessionPerMinute: 120, perTenantPerMinute: 1_000_000, windowMs: hour });
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.check('t', 's')));
    expect(results.filter((retry) => retry === 0)).toHaveLength(120);
    expect(results.filter((retry) => retry > 0).every((retry) => retry >= 1)).toBe(true);
    // Another session of the same tenant has its own budget.
    expect(await limiter.check('t', 'other')).toBe(0);
  });

  it('never allows more than the limit across replicas, and at most (replicas x lease - 1) fewer', async () => {
    const hub = new MemoryHotStoreHub();
    const limits = { perSessionPerMinute: 1_000_000, perTenantPerMinute: 500, windowMs: hour };
    const replicas = [new RateLimiter(hub.client(), limits), new RateLimiter(hub.client(), limits), new RateLimiter(hub.client(), limits)];
    const results = await Promise.all(Array.from({ length: 900 }, (_, i) => replicas[i % 3]!.check('t', `s${i % 7}`)));
    const allowed = results.filter((retry) => retry === 0).length;
    expect(allowed).toBeLessThanOrEqual(500);
    expect(allowed).toBeGreaterThanOrEqual(500 - (3 * leaseSize(500) - 1));
    hub.close();
  });

  it('keeps small limits exact (a lease of one unit) and refuses with the seconds left in the window', async () => {
    expect(leaseSize(3)).toBe(1);
    const limiter = new RateLimiter(createMemoryHotStore(), { perSessionPerMinute: 3, perTenantPerMinute: 10_000, windowMs: hour });
    for (let i = 0; i < 3; i++) expect(await limiter.check('t', 's')).toBe(0);
    const retry = await limiter.check('t', 's');
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
  });

  it('a request waiting for a lease when the window ends is answered (the next window clears the leases meanwhile)', async () => {
    const hot = createMemoryHotStore();
    // The lease refill of the first request is slow: it comes back after the window has ended.
    let slow = true;
    let calls = 0;
    const incrMany: typeof hot.incrMany = async (counters) => {
      calls += 1;
      // A round trip (a macrotask, as on a socket), slow the first time: it comes back after the window ended.
      await new Promise((resolve) => setTimeout(resolve, slow ? 80 : 0));
      slow = false;
      return hot.incrMany(counters);
    };
    const limiter = new RateLimiter({ ...hot, incrMany } as typeof hot, { perSessionPerMinute: 1_000_000, perTenantPerMinute: 1_000_000, windowMs: 50 });
    const waiting = limiter.check('t', 's');
    await new Promise((resolve) => setTimeout(resolve, 60));
    // A request of the next window clears the leases while the first one waits.
    expect(await limiter.check('t', 's')).toBe(0);
    const outcome = await Promise.race([waiting, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500))]);
    expect(outcome).toBe(0);
    // One refill per request, not one per turn of a loop.
    expect(calls).toBeLessThanOrEqual(3);
  });
});
