import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE } from '../infra/infra.tokens.js';
import { clientNetworkKey } from '../registration-policy/client-network.js';
import { FixedWindowLimiter } from '../registration-policy/fixed-window-limiter.js';
import type { LimitSet, LimitVerdict } from '../registration-policy/fixed-window-limiter.js';
import { normalizeEmail } from './user.repository.js';

/** Failed attempts per account (tenant + email, existing or not), and per client network across accounts (credential stuffing). */
export type LoginLimits = LimitSet<'perAccount' | 'perIp'>;

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccount: { max: 5, windowMs: 15 * 60_000 },
  perIp: { max: 50, windowMs: 15 * 60_000 },
};

/**
 * Counts failed logins per account and per IP in the hot store. The account key is derived from the
 * submitted email whether or not such a user exists, so a lock-out says nothing about existence; the
 * email is hashed so hot-store keys carry no personal data.
 */
@Injectable()
export class LoginThrottle {
  private readonly limiter: FixedWindowLimiter;
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS;

  constructor(@Inject(HOT_STORE) hot: HotStore) {
    this.limiter = new FixedWindowLimiter(hot);
  }

  keys(tenantSlug: string, email: string, ip: string): Record<keyof LoginLimits, string> {
    const account = createHash('sha256').update(`${tenantSlug}\u0000${normalizeEmail(email)}`).digest('base64url');
    return { perAccount: `auth:rl:login-acct:${tenantSlug}:${account}`, perIp: `auth:rl:login-ip:${tenantSlug}:${clientNetworkKey(ip)}` };
  }

  /** Whether another attempt may be made now; refused verdicts carry Retry-After seconds. */
  async check(tenantSlug: string, email: string, ip: string): Promise<LimitVerdict> {
    return this.limiter.peekAll(this.keys(tenantSlug, email, ip), this.limits);
  }

  async recordFailure(tenantSlug: string, email: string, ip: string): Promise<void> {
    await this.limiter.hitAll(this.keys(tenantSlug, email, ip), this.limits);
  }

  /** A successful login clears the account's counter (not the IP's: a stuffing run may include one hit). */
  async recordSuccess(tenantSlug: string, email: string, ip: string): Promise<void> {
    await this.limiter.reset(this.keys(tenantSlug, email, ip).perAccount);
  }
}
