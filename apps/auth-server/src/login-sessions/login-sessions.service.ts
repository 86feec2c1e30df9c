import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Logger } from '@airlock/observability';
import type { AuthServerConfig } from '@airlock/config';
import type { HotStore } from '@airlock/redis';
import { SessionAdminClient } from '@airlock/session-client';
import { AuthJobRunner } from '../jobs/auth-job-runner.service.js';
import { AUTH_CONFIG, HOT_STORE, LOGGER } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { OidcProviderRegistry, type BrowserSession, type BrowserSessionListener } from '../oidc/tenant-providers.service.js';
import { TenantRecords } from '../tenants/tenant-records.service.js';
import { AUTH_SERVER_CLIENT_ID } from './session-store-tokens.js';

/** Job names on `Queues.auth`; each is idempotent (delivery is at least once). */
export const LoginSessionJobs = {
  open: 'login-session.open',
  end: 'login-session.end',
  touch: 'login-session.touch',
  revokeSubject: 'sessions.revoke-subject',
} as const;

/** A used browser session is touched at the session store at most this often. */
const TOUCH_EVERY_MS = 10 * 60_000;
/** How long an ended login is remembered, so a late (retried) open job does not bring it back. */
const ENDED_MEMORY_MS = 2 * 86_400_000;

const openJob = z.object({ tenant: z.string(), key: z.string(), subject: z.string(), clientId: z.string(), idleSeconds: z.number(), lifetimeSeconds: z.number() });
const keyJob = z.object({ tenant: z.string(), key: z.string(), reason: z.string().default('logout') });
const revokeSubjectJob = z.object({ tenant: z.string(), subject: z.string(), reason: z.string() });

/** Where a browser is signed in: an oidc-provider session (by its stable uid) or an account-page session. */
export type LoginKey = `oidc.${string}` | `account.${string}`;

export const oidcLoginKey = (uid: string): LoginKey => `oidc.${uid}`;
export const accountLoginKey = (hash: string): LoginKey => `account.${hash}`;

const sessionIdKey = (tenant: string, key: string) => `auth:login-session:${tenant}:${key}`;
const endedKey = (tenant: string, key: string) => `auth:login-session-ended:${tenant}:${key}`;
const touchedKey = (tenant: string, key: string) => `auth:login-session-touched:${tenant}:${key}`;
const accountIndexKey = (tenant: string, accountId: string) => `auth:login-sessions-of:${tenant}:${accountId}`;
/** Hot-store key of an account-page session (see AccountSessions), by the hash of its cookie value. */
export const accountSessionKey = (hash: string) => `auth:account-session:${hash}`;
export const hashAccountSessionId = (id: string) => createHash('sha256').update(id).digest('base64url');

/**
 * Every browser sign-in is a `kind: 'login'` session in the session store, so a user's "end all my
 * sessions" ends MCP and browser sessions alike. The session store is never on the login path: sign-in,
 * use and sign-out enqueue jobs on `Queues.auth` that call its API and are retried with backoff while it
 * is down (a login is never refused or slowed because of it). A hot-store map ties each browser session
 * to its session-store id; a per-user index lets "Sign out everywhere" destroy the browser sessions here
 * without asking anyone.
 */
@Injectable()
export class LoginSessions implements BrowserSessionListener {
  /** LOGIN_SESSION_IDLE_SECONDS / _MAX_SECONDS: a browser unused (or signed in) that long signs in again. */
  private readonly limits: AuthServerConfig['sessions']['login'];

  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: AuthJobRunner,
    private readonly client: SessionAdminClient,
    private readonly tenants: TenantRecords,
    private readonly registry: OidcProviderRegistry,
  ) {
    this.limits = config.sessions.login;
    registry.watchBrowserSessions(this);
    jobs.handle(LoginSessionJobs.open, (data) => this.open(openJob.parse(data)));
    jobs.handle(LoginSessionJobs.end, (data) => this.end(keyJob.parse(data)));
    jobs.handle(LoginSessionJobs.touch, (data) => this.touch(keyJob.parse(data)));
    jobs.handle(LoginSessionJobs.revokeSubject, async (data) => {
      const job = revokeSubjectJob.parse(data);
      const tenant = await this.tenants.findBySlug(job.tenant);
      if (!tenant) return;
      const revoked = await this.client.revokeSubject(tenant.slug, job.subject, job.reason);
      this.logger.info({ tenant: job.tenant, revoked }, 'every session of a user ended at the session store');
    });
  }

  // Browser sessions (oidc-provider) ------------------------------------------------------------------

  signedIn(tenant: TenantRecord, session: BrowserSession, clientId: string | undefined): Promise<void> {
    return this.started(tenant.slug, oidcLoginKey(session.uid), session.accountId, clientId ?? AUTH_SERVER_CLIENT_ID, this.limits.maxSeconds);
  }

  used(tenant: TenantRecord, session: BrowserSession): Promise<void> {
    const key = oidcLoginKey(session.uid);
    return this.hot
      .set(touchedKey(tenant.slug, key), '1', { ttlMs: TOUCH_EVERY_MS, onlyIfAbsent: true })
      .then((first) => (first ? this.jobs.enqueue(LoginSessionJobs.touch, { tenant: tenant.slug, key }, { jobId: `login-touch.${tenant.slug}.${key}` }) : undefined))
      .catch((error: unknown) => this.logger.warn({ err: error, tenant: tenant.slug }, 'login session touch not queued'));
  }

  ended(tenant: TenantRecord, session: BrowserSession): Promise<void> {
    return this.stopped(tenant.slug, oidcLoginKey(session.uid), session.accountId, 'logout');
  }

  // Any sign-in (also the account page's own) --------------------------------------------------------

  /** Registers a sign-in; never throws (a failure to queue is logged: the login itself goes on). */
  async started(tenant: string, key: LoginKey, accountId: string, clientId: string, lifetimeSeconds: number): Promise<void> {
    try {
      await this.hot.sadd(accountIndexKey(tenant, accountId), [key], this.limits.maxSeconds * 1000);
      const data: z.input<typeof openJob> = { tenant, key, subject: accountId, clientId, idleSeconds: Math.min(this.limits.idleSeconds, lifetimeSeconds), lifetimeSeconds };
      await this.jobs.enqueue(LoginSessionJobs.open, data, { jobId: `login-open.${tenant}.${key}` });
    } catch (error) {
      this.logger.warn({ err: error, tenant }, 'login session not registered with the session store');
    }
  }

  /** Ends a sign-in at the session store (queued); never throws. */
  async stopped(tenant: string, key: LoginKey, accountId: string | undefined, reason: string): Promise<void> {
    try {
      if (accountId) await this.hot.srem(accountIndexKey(tenant, accountId), [key]);
      await this.hot.set(endedKey(tenant, key), '1', { ttlMs: ENDED_MEMORY_MS });
      await this.jobs.enqueue(LoginSessionJobs.end, { tenant, key, reason }, { jobId: `login-end.${tenant}.${key}` });
    } catch (error) {
      this.logger.warn({ err: error, tenant }, 'ending a login session at the session store not queued');
    }
  }

  /**
   * "Sign out everywhere": destroys every browser session of the user here (oidc-provider sessions, so
   * the browser must sign in again, and account-page sessions), then has the session store end all of
   * the user's sessions, MCP and login (queued, retried until it answers).
   */
  async signOutEverywhere(tenant: TenantRecord, accountId: string): Promise<void> {
    const index = accountIndexKey(tenant.slug, accountId);
    const entry = await this.registry.forTenant(tenant.slug);
    // The session store's revocation below ends their login sessions; only remember they are over.
    for (const key of await this.hot.smembers(index)) {
      await this.destroyBrowserSession(key, entry);
      await this.hot.set(endedKey(tenant.slug, key), '1', { ttlMs: ENDED_MEMORY_MS });
    }
    await this.hot.del(index);
    await this.jobs.enqueue(LoginSessionJobs.revokeSubject, { tenant: tenant.slug, subject: accountId, reason: 'user_signed_out_everywhere' });
    this.logger.info({ tenant: tenant.slug }, 'user signed out everywhere');
  }

  /**
   * An admin ended one login session at the session store: the browser holding it here signs in again
   * now (not when it next checks the session store). True when the browser session was found.
   */
  async endBrowserSessionOf(tenant: TenantRecord, accountId: string, sessionId: string): Promise<boolean> {
    const index = accountIndexKey(tenant.slug, accountId);
    for (const key of await this.hot.smembers(index)) {
      if ((await this.hot.get(sessionIdKey(tenant.slug, key))) !== sessionId) continue;
      await this.destroyBrowserSession(key, await this.registry.forTenant(tenant.slug));
      await this.hot.srem(index, [key]);
      await this.hot.set(endedKey(tenant.slug, key), '1', { ttlMs: ENDED_MEMORY_MS });
      await this.hot.del(sessionIdKey(tenant.slug, key));
      return true;
    }
    return false;
  }

  /** Before a tenant is deleted: ends every session of each user at the session store, now (its keys are about to go). */
  async endAllOfTenant(tenant: TenantRecord, subjects: readonly string[]): Promise<{ failed: number }> {
    let failed = 0;
    for (const subject of subjects) {
      await this.client.revokeSubject(tenant.slug, subject, 'tenant_deleted').catch((error: unknown) => {
        failed += 1;
        this.logger.warn({ err: error, tenant: tenant.slug }, 'sessions of a deleted tenant not ended at the session store');
      });
    }
    return { failed };
  }

  // Jobs ---------------------------------------------------------------------------------------------

  private async open(job: z.output<typeof openJob>): Promise<void> {
    const tenant = await this.tenants.findBySlug(job.tenant);
    if (!tenant || (await this.hot.get(endedKey(job.tenant, job.key)))) return;
    if (await this.hot.get(sessionIdKey(job.tenant, job.key))) return;
    const session = await this.client.create(tenant.slug, { kind: 'login', subject: job.subject, clientId: job.clientId, idleTimeoutSeconds: job.idleSeconds, lifetimeSeconds: job.lifetimeSeconds });
    await this.hot.set(sessionIdKey(job.tenant, job.key), session.id, { ttlMs: job.lifetimeSeconds * 1000 });
    // Signed out while the session store was being asked: end what was just made.
    if (await this.hot.get(endedKey(job.tenant, job.key))) await this.end({ tenant: job.tenant, key: job.key, reason: 'logout' });
  }

  private async end(job: z.output<typeof keyJob>): Promise<void> {
    const id = await this.hot.get(sessionIdKey(job.tenant, job.key));
    const tenant = id ? await this.tenants.findBySlug(job.tenant) : undefined;
    if (!id || !tenant) return;
    await this.client.end(tenant.slug, id, job.reason);
    await this.hot.del(sessionIdKey(job.tenant, job.key));
  }

  /** A browser session the session store no longer knows (revoked there, or idled out) ends here too. */
  private async touch(job: z.output<typeof keyJob>): Promise<void> {
    const id = await this.hot.get(sessionIdKey(job.tenant, job.key));
    const tenant = id ? await this.tenants.findBySlug(job.tenant) : undefined;
    if (!id || !tenant || (await this.client.touch(tenant.slug, id))) return;
    await this.destroyBrowserSession(job.key, await this.registry.forTenant(job.tenant));
    await this.hot.del(sessionIdKey(job.tenant, job.key));
    this.logger.info({ tenant: job.tenant }, 'browser session ended: the session store ended its login session');
  }

  private async destroyBrowserSession(key: string, entry: Awaited<ReturnType<OidcProviderRegistry['forTenant']>>): Promise<void> {
    if (key.startsWith('account.')) {
      await this.hot.del(accountSessionKey(key.slice('account.'.length)));
    } else if (key.startsWith('oidc.') && entry) {
      const session = await entry.provider.Session.findByUid(key.slice('oidc.'.length));
      await session?.destroy();
    }
  }
}
