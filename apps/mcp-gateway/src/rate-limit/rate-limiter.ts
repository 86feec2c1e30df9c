import type { HotStore } from '@airlock/redis';

export interface RateLimits {
  perSessionPerMinute: number;
  perTenantPerMinute: number;
}

/** Fixed one-minute windows counted in the hot store (shared by all replicas). */
export class RateLimiter {
  constructor(
    private readonly hot: HotStore,
    private readonly limits: RateLimits,
  ) {}

  /** Seconds until the caller may retry, or 0 when within limits. */
  async check(tenant: string, sessionId: string | undefined): Promise<number> {
    const window = Math.floor(Date.now() / 60_000);
    const retryAfter = 60 - Math.floor((Date.now() % 60_000) / 1000);
    const tenantCount = await this.hot.incr(`gw:rl:t:${tenant}:${window}`, 61_000);
    if (tenantCount > this.limits.perTenantPerMinute) return retryAfter;
    if (sessionId) {
      const sessionCount = await this.hot.incr(`gw:rl:s:${sessionId}:${window}`, 61_000);
      if (sessionCount > this.limits.perSessionPerMinute) return retryAfter;
    }
    return 0;
  }
}
