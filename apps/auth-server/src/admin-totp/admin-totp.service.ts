import { Inject, Injectable } from '@nestjs/common';
import { openSecret, sealSecret } from '@airlock/platform';
import type { Pool } from 'pg';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE, MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { FixedWindowLimiter, type WindowLimit } from '../registration-policy/fixed-window-limiter.js';
import { base32Decode, base32Encode, generateTotpSecret, matchTotp, otpauthUri } from './totp.js';

const sealContext = (userId: string) => `admin-totp:${userId}`;

/**
 * Wrong codes per person: reaching the code takes the right password, and a right password resets the
 * login throttle's account counter, so the second factor counts its own failures (10^6 codes, 3 valid at
 * a time: 5 tries per 15 minutes make guessing hopeless).
 */
export const TOTP_FAILURE_LIMIT: WindowLimit = { max: 5, windowMs: 15 * 60_000 };

export type TotpVerdict = { ok: true } | { ok: false; throttled: boolean; retryAfterSeconds: number };

/**
 * The second factor of the `admin` tenant's people: the TOTP secret sealed under the master key in
 * `admin_totp`, and the last step accepted, advanced atomically so a code is used once even by two
 * sign-ins racing with it.
 */
@Injectable()
export class AdminTotpService {
  private readonly limiter: FixedWindowLimiter;

  constructor(
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    @Inject(HOT_STORE) hot: HotStore,
  ) {
    this.limiter = new FixedWindowLimiter(hot);
  }

  /** Sets (or replaces) the person's secret; returns the otpauth:// URI, never stored or shown again. */
  async enroll(userId: string, account: string): Promise<string> {
    const secret = generateTotpSecret();
    await this.pg.query(
      `INSERT INTO admin_totp (user_id, secret_encrypted, last_used_step) VALUES ($1, $2, 0)
       ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, last_used_step = 0, created_at = now()`,
      [userId, sealSecret(this.masterKey, base32Encode(secret), sealContext(userId))],
    );
    return otpauthUri(secret, 'Airlock admin', account);
  }

  /** Whether signing in to this tenant takes a one-time code after the password (the platform's own people). */
  requiredFor(tenantSlug: string): boolean {
    return tenantSlug === ADMIN_TENANT_SLUG;
  }

  /** The second step of a sign-in whose password was right: nothing to check outside the `admin` tenant. */
  async checkSignIn(tenantSlug: string, userId: string, code: string): Promise<TotpVerdict> {
    return this.requiredFor(tenantSlug) ? this.verify(userId, code) : { ok: true };
  }

  /** Checks a sign-in's code (throttled per person); a right one is used up, a wrong one counted. */
  async verify(userId: string, code: string, nowMs = Date.now()): Promise<TotpVerdict> {
    const key = `auth:rl:admin-totp:${userId}`;
    const verdict = await this.limiter.peek(key, TOTP_FAILURE_LIMIT);
    if (!verdict.allowed) return { ok: false, throttled: true, retryAfterSeconds: verdict.retryAfterSeconds };
    if (await this.consume(userId, code, nowMs)) {
      await this.limiter.reset(key);
      return { ok: true };
    }
    await this.limiter.hit(key, TOTP_FAILURE_LIMIT);
    return { ok: false, throttled: false, retryAfterSeconds: 0 };
  }

  /** Whether the code is valid now and unused; accepting it uses it up. A person without enrollment has no valid code. */
  private async consume(userId: string, code: string, nowMs: number): Promise<boolean> {
    const { rows } = await this.pg.query<{ secret: string; last: string }>('SELECT secret_encrypted AS secret, last_used_step AS last FROM admin_totp WHERE user_id = $1', [userId]);
    const row = rows[0];
    if (!row) return false;
    const secret = base32Decode(openSecret(this.masterKey, row.secret, sealContext(userId)));
    const step = matchTotp(secret, code.trim(), nowMs, Number(row.last));
    if (step === undefined) return false;
    const { rowCount } = await this.pg.query('UPDATE admin_totp SET last_used_step = $2 WHERE user_id = $1 AND last_used_step < $2', [userId, step]);
    return rowCount === 1;
  }
}
