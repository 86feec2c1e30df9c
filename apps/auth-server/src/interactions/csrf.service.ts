import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthServerConfig } from '@airlock/config';
import { AUTH_CONFIG, MASTER_KEY } from '../infra/infra.tokens.js';
import { UiCookies } from './ui-cookies.js';

export const CSRF_COOKIE = 'airlock-csrf';
export const CSRF_FIELD = 'csrf';

/**
 * CSRF tokens bound to a per-browser secret cookie and to the form's purpose: the hidden field is
 * HMAC(key, cookie secret | scope). A forged POST has neither the cookie value nor the key, and a token
 * from one interaction or tenant does not validate for another.
 */
@Injectable()
export class CsrfService {
  private readonly key: Buffer;
  readonly cookies: UiCookies;

  constructor(@Inject(MASTER_KEY) masterKey: Buffer, @Inject(AUTH_CONFIG) config: Pick<AuthServerConfig, 'publicUrl'>) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'airlock auth-ui csrf v1', 32));
    this.cookies = new UiCookies(config.publicUrl.startsWith('https:'));
  }

  /** The browser's secret, and a Set-Cookie header when it had none yet. */
  secretFor(headers: IncomingHttpHeaders): { secret: string; setCookie?: string } {
    const existing = this.cookies.read(headers, CSRF_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { secret: existing };
    const secret = randomBytes(32).toString('base64url');
    return { secret, setCookie: this.cookies.serialize(CSRF_COOKIE, secret) };
  }

  token(secret: string, scope: string): string {
    return createHmac('sha256', this.key).update(`${secret}\u0000${scope}`).digest('base64url');
  }

  verify(headers: IncomingHttpHeaders, submitted: unknown, scope: string): boolean {
    const secret = this.cookies.read(headers, CSRF_COOKIE);
    if (!secret || typeof submitted !== 'string' || submitted.length === 0) return false;
    const expected = Buffer.from(this.token(secret, scope));
    const actual = Buffer.from(submitted);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
