import { createHash } from 'node:crypto';
import type { HotStore } from '@airlock/redis';

/**
 * One use per ID-JAG (`jti` per issuer), across replicas: Redis SET NX that lives until the assertion
 * expires (after that the expiry check refuses it anyway).
 */
export class AssertionReplayGuard {
  constructor(private readonly hot: HotStore) {}

  /** True the first time; false for a replay. */
  async firstUse(tenantSlug: string, issuer: string, jti: string, expiresAtSeconds: number, nowMs = Date.now()): Promise<boolean> {
    const ttlMs = Math.max(1_000, expiresAtSeconds * 1000 - nowMs + 60_000);
    const key = `idjag:jti:${tenantSlug}:${createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url')}`;
    return this.hot.set(key, '1', { ttlMs, onlyIfAbsent: true });
  }
}
