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

/** Named limits counted together (per IP and per tenant; per account and per IP), each under its own key. */
export type LimitSet<K extends string> = Readonly<Record<K, WindowLimit>>;

export interface LimitSetVerdict<K extends string> extends LimitVerdict {
  /** The first limit (in the order asked) that refused. */
  refusedBy?: K;
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

  /** Counts one attempt against each limit in `order`, stopping at the first refusal (later ones are not charged). */
  async hitInOrder<K extends string>(keys: Readonly<Record<K, string>>, limits: LimitSet<K>, order: readonly K[]): Promise<LimitSetVerdict<K>> {
    let last: LimitVerdict = { allowed: true, count: 0, retryAfterSeconds: 0 };
    for (const name of order) {
      last = await this.hit(keys[name], limits[name]);
      if (!last.allowed) return { ...last, refusedBy: name };
    }
    return last;
  }

  /** Counts one attempt against every limit at once. */
  async hitAll<K extends string>(keys: Readonly<Record<K, string>>, limits: LimitSet<K>): Promise<void> {
    await Promise.all((Object.keys(limits) as K[]).map((name) => this.hit(keys[name], limits[name])));
  }

  /** Allowed only when every limit allows; a refusal waits for the latest window to reset. */
  async peekAll<K extends string>(keys: Readonly<Record<K, string>>, limits: LimitSet<K>): Promise<LimitSetVerdict<K>> {
    const names = Object.keys(limits) as K[];
    const verdicts = await Promise.all(names.map((name) => this.peek(keys[name], limits[name])));
    const refused = names.filter((_, index) => !verdicts[index]!.allowed);
    return {
      allowed: refused.length === 0,
      count: Math.max(...verdicts.map((verdict) => verdict.count)),
      retryAfterSeconds: Math.max(...verdicts.map((verdict) => verdict.retryAfterSeconds)),
      ...(refused[0] ? { refusedBy: refused[0] } : {}),
    };
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
