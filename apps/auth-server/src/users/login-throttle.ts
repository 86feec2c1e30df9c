import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Infra } from '@airlock/platform';
import { INFRA } from '../oidc/ports.js';
import { FixedWindowLimiter } from '../registration-policy/fixed-window-limiter.js';
import type { LimitVerdict, WindowLimit } from '../registration-policy/fixed-window-limiter.js';
import { normalizeEmail } from './user.repository.js';

export interface LoginLimits {
  /** Failed attempts per account (tenant + email, existing or not) per window. */
  perAccount: WindowLimit;
  /** Failed attempts per client IP per window, across accounts (credential stuffing). */
  perIp: WindowLimit;
}

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

  constructor(@Inject(INFRA) infra: Pick<Infra, 'hot'>) {
    this.limiter = new FixedWindowLimiter(infra.hot);
  }

  keys(tenantSlug: string, email: string, ip: string): { account: string; ip: string } {
    const account = createHash('sha256').update(`${tenantSlug}\u0000${normalizeEmail(email)}`).digest('base64url');
    return { account: `auth:rl:login-acct:${tenantSlug}:${account}`, ip: `auth:rl:login-ip:${tenantSlug}:${ip}` };
  }

  /** Whether another attempt may be made now; refused verdicts carry Retry-After seconds. */
  async check(tenantSlug: string, email: string, ip: string): Promise<LimitVerdict> {
    const keys = this.keys(tenantSlug, email, ip);
    const [account, byIp] = await Promise.all([this.limiter.peek(keys.account, this.limits.perAccount), this.limiter.peek(keys.ip, this.limits.perIp)]);
    if (!account.allowed || !byIp.allowed) {
      return { allowed: false, count: Math.max(account.count, byIp.count), retryAfterSeconds: Math.max(account.retryAfterSeconds, byIp.retryAfterSeconds) };
    }
    return { allowed: true, count: account.count, retryAfterSeconds: 0 };
  }

  async recordFailure(tenantSlug: string, email: string, ip: string): Promise<void> {
    const keys = this.keys(tenantSlug, email, ip);
    await Promise.all([this.limiter.hit(keys.account, this.limits.perAccount), this.limiter.hit(keys.ip, this.limits.perIp)]);
  }

  /** A successful login clears the account's counter (not the IP's: a stuffing run may include one hit). */
  async recordSuccess(tenantSlug: string, email: string, ip: string): Promise<void> {
    await this.limiter.reset(this.keys(tenantSlug, email, ip).account);
  }
}
