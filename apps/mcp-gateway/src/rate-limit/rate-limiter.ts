import type { HotStore } from '@airlock/redis';

export interface RateLimits {
  perSessionPerMinute: number;
  perTenantPerMinute: number;
  /** Window length; one minute unless a test needs a window it cannot straddle. */
  windowMs?: number;
}

/** Fixed windows counted in the hot store (shared by all replicas); limits are per window. */
export class RateLimiter {
  constructor(
    private readonly hot: HotStore,
    private readonly limits: RateLimits,
  ) {}

  /** Seconds until the caller may retry, or 0 when within limits. */
  async check(tenant: string, sessionId: string | undefined): Promise<number> {
    const windowMs = this.limits.windowMs ?? 60_000;
    const window = Math.floor(Date.now() / windowMs);
    const retryAfter = Math.max(1, Math.ceil((windowMs - (Date.now() % windowMs)) / 1000));
    const ttlMs = windowMs + 1_000;
    // Both windows in one round trip: a request refused by the tenant's limit still counts for its session.
    const [tenantCount = 0, sessionCount = 0] = await this.hot.incrMany([
      { key: `gw:rl:t:${tenant}:${window}`, ttlMs },
      ...(sessionId ? [{ key: `gw:rl:s:${sessionId}:${window}`, ttlMs }] : []),
    ]);
    if (tenantCount > this.limits.perTenantPerMinute) return retryAfter;
    if (sessionId && sessionCount > this.limits.perSessionPerMinute) return retryAfter;
    return 0;
  }
}
