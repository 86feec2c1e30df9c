import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthServerConfig } from '@airlock/config';
import type { HotStore } from '@airlock/redis';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accountLoginKey, accountSessionKey, hashAccountSessionId, LoginSessions } from '../login-sessions/login-sessions.service.js';
import { AUTH_SERVER_CLIENT_ID } from '../login-sessions/session-store-tokens.js';
import { AUTH_CONFIG, HOT_STORE } from '../infra/infra.tokens.js';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import type { UiCookies } from '../interactions/ui-cookies.js';

export const ACCOUNT_COOKIE = 'airlock-account';

interface StoredAccountSession {
  tenant: string;
  accountId: string;
}

/**
 * Who is looking at the account page: the user's oidc-provider session (signed in during an
 * authorization) or, failing that, a short account-page session of its own (a fresh random id on every
 * sign-in, kept in the hot store under its hash).
 */
@Injectable()
export class AccountSessions {
  /** ACCOUNT_SESSION_MAX_SECONDS: how long an account-page sign-in lasts. */
  private readonly lifetimeSeconds: number;

  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
    private readonly logins: LoginSessions,
  ) {
    this.lifetimeSeconds = config.sessions.accountPageSeconds;
  }

  private key(id: string): string {
    return accountSessionKey(hashAccountSessionId(id));
  }

  async current(tp: TenantProvider, req: FastifyRequest, reply: FastifyReply, cookies: UiCookies): Promise<{ accountId: string; source: 'account' | 'provider' } | undefined> {
    const own = cookies.read(req.headers, ACCOUNT_COOKIE);
    if (own) {
      const stored = await this.hot.get(this.key(own));
      if (stored) {
        const session = JSON.parse(stored) as StoredAccountSession;
        if (session.tenant === tp.tenant.slug) return { accountId: session.accountId, source: 'account' };
      }
    }
    try {
      const ctx = tp.provider.createContext(req.raw, reply.raw);
      const session = await tp.provider.Session.get(ctx);
      return session.accountId ? { accountId: session.accountId, source: 'provider' } : undefined;
    } catch {
      return undefined;
    }
  }

  /** A new session id every time (session fixation); the previous one, if any, is destroyed. Returns Set-Cookie. */
  async start(tenant: string, accountId: string, headers: IncomingHttpHeaders, cookies: UiCookies): Promise<string> {
    await this.end(headers, cookies);
    const id = randomBytes(32).toString('base64url');
    const value: StoredAccountSession = { tenant, accountId };
    await this.hot.set(this.key(id), JSON.stringify(value), { ttlMs: this.lifetimeSeconds * 1000 });
    await this.logins.started(tenant, accountLoginKey(hashAccountSessionId(id)), accountId, AUTH_SERVER_CLIENT_ID, this.lifetimeSeconds);
    return cookies.serialize(ACCOUNT_COOKIE, id, { maxAgeSeconds: this.lifetimeSeconds });
  }

  async end(headers: IncomingHttpHeaders, cookies: UiCookies): Promise<string> {
    const own = cookies.read(headers, ACCOUNT_COOKIE);
    if (own) {
      const stored = await this.hot.getDel(this.key(own));
      if (stored) {
        const session = JSON.parse(stored) as StoredAccountSession;
        await this.logins.stopped(session.tenant, accountLoginKey(hashAccountSessionId(own)), session.accountId, 'logout');
      }
    }
    return cookies.clear(ACCOUNT_COOKIE);
  }
}
