import type { HotStore } from '@airlock/redis';

export interface WindowLimit {
  /** Attempts allowed per window. */
  max: number;
  windowMs: number;
}

export interface LimitVerdict {
  allowed: boolean;
  /** Attempts counted in the current window, this one included. */
  count: number;
  /** Seconds until the window resets (at least 1 when refused). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in the hot store: INCR creates the key with the window's TTL, so every replica
 * counts into the same window and the key disappears by itself. Fixed windows allow a burst of 2x at a
 * window edge; acceptable for abuse limits, and it costs one round trip.
 */
export class FixedWindowLimiter {
  constructor(private readonly hot: HotStore) {}

  async hit(key: string, limit: WindowLimit): Promise<LimitVerdict> {
    const count = await this.hot.incr(key, limit.windowMs);
    if (count <= limit.max) return { allowed: true, count, retryAfterSeconds: 0 };
    return { allowed: false, count, retryAfterSeconds: await this.retryAfter(key, limit) };
  }

  /** Current state without counting an attempt. */
  async peek(key: string, limit: WindowLimit): Promise<LimitVerdict> {
    const raw = await this.hot.get(key);
    const count = raw === null ? 0 : Number(raw);
    if (count < limit.max) return { allowed: true, count, retryAfterSeconds: 0 };
    return { allowed: false, count, retryAfterSeconds: await this.retryAfter(key, limit) };
  }

  async reset(key: string): Promise<void> {
    await this.hot.del(key);
  }

  private async retryAfter(key: string, limit: WindowLimit): Promise<number> {
    const ttl = await this.hot.pttl(key);
    const ms = ttl > 0 ? ttl : limit.windowMs;
    return Math.max(1, Math.ceil(ms / 1000));
  }
}
