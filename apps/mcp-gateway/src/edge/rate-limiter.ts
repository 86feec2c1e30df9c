import type { HotStore } from '@airlock/redis';

export interface RateLimits {
  perSessionPerMinute: number;
  perTenantPerMinute: number;
  /** Window length; one minute unless a test needs a window it cannot straddle. */
  windowMs?: number;
}

/** What this replica holds of one counter in the current window. */
interface Lease {
  /** Units taken from the shared counter and not used yet. */
  left: number;
  /** The shared counter reached the limit: nothing more this window. */
  spent: boolean;
  /** A lease being taken (concurrent requests wait for the same one). */
  taking?: Promise<void> | undefined;
}

/** Units taken at once: a fiftieth of the limit, at least 1 (small limits stay exact), at most 100. */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(100, Math.floor(limit / 50)));
}

/**
 * Fixed windows counted in the hot store (shared by all replicas); limits are per window. Each replica
 * takes units in leases (INCRBY a fiftieth of the limit) and hands them out from memory, so most requests
 * cost no round trip. Units leased but unused when the window ends count as used: across replicas the
 * limit can bite up to (replicas x lease - 1) requests early, never late.
 */
export class RateLimiter {
  private window = -1;
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly hot: HotStore,
    private readonly limits: RateLimits,
  ) {}

  /** Seconds until the caller may retry, or 0 when within limits. */
  async check(tenant: string, sessionId: string | undefined): Promise<number> {
    const windowMs = this.limits.windowMs ?? 60_000;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    if (window !== this.window) {
      this.window = window;
      this.leases.clear();
    }
    const tenantKey = `gw:rl:t:${tenant}:${window}`;
    const sessionKey = sessionId ? `gw:rl:s:${sessionId}:${window}` : undefined;
    // Units at hand for every counter (most requests): use them, no arrays, no round trip.
    const tenantLease = this.lease(tenantKey);
    const sessionLease = sessionKey === undefined ? undefined : this.lease(sessionKey);
    if (tenantLease.left > 0 && (sessionLease === undefined || sessionLease.left > 0)) {
      tenantLease.left -= 1;
      if (sessionLease) sessionLease.left -= 1;
      return 0;
    }
    const retryAfter = Math.max(1, Math.ceil((windowMs - (now % windowMs)) / 1000));
    const counters = [{ key: tenantKey, limit: this.limits.perTenantPerMinute }];
    if (sessionKey !== undefined) counters.push({ key: sessionKey, limit: this.limits.perSessionPerMinute });
    // Refill the empty leases in one round trip, then look again (concurrent requests may have used the
    // units). Each round either grants units or finds the counter spent, so this ends. The leases are
    // looked up again each round: a request of the next window clears the map while this one waits, and
    // `take` fills the leases in the map, so a lease held from before would stay empty for ever (a request
    // that never answers, and an INCRBY per turn of the loop).
    let leases = counters.map(({ key }) => this.lease(key));
    for (;;) {
      const empty = counters.filter((_, i) => leases[i]!.left === 0 && !leases[i]!.spent);
      if (empty.length === 0) break;
      await this.take(empty, windowMs);
      leases = counters.map(({ key }) => this.lease(key));
    }
    // Every request uses a unit of each counter it can, refused or not (as plain counters did).
    const allowed = leases.every((lease) => lease.left > 0);
    for (const lease of leases) if (lease.left > 0) lease.left -= 1;
    return allowed ? 0 : retryAfter;
  }

  private lease(key: string): Lease {
    let lease = this.leases.get(key);
    if (!lease) {
      lease = { left: 0, spent: false };
      this.leases.set(key, lease);
    }
    return lease;
  }

  private async take(counters: Array<{ key: string; limit: number }>, windowMs: number): Promise<void> {
    const waiting = counters.map(({ key }) => this.lease(key).taking).filter((taking): taking is Promise<void> => taking !== undefined);
    if (waiting.length > 0) {
      await Promise.all(waiting);
      return;
    }
    const taking = (async () => {
      const sizes = counters.map(({ limit }) => leaseSize(limit));
      const counts = await this.hot.incrMany(counters.map(({ key }, i) => ({ key, ttlMs: windowMs + 1_000, by: sizes[i]! })));
      counters.forEach(({ key, limit }, i) => {
        const count = counts[i] ?? Number.POSITIVE_INFINITY;
        const size = sizes[i]!;
        // Of the units [count - size + 1, count], those within the limit are ours.
        const granted = Math.max(0, Math.min(size, limit - (count - size)));
        const lease = this.lease(key);
        lease.left += granted;
        if (count >= limit) lease.spent = true;
      });
    })();
    for (const { key } of counters) this.lease(key).taking = taking;
    try {
      await taking;
    } finally {
      for (const { key } of counters) if (this.lease(key).taking === taking) this.lease(key).taking = undefined;
    }
  }
}
