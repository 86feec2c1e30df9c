import { Inject, Injectable } from '@nestjs/common';
import { parseHotSession, sessionRecordKey, sessionSeenKey } from '@airlock/session-client';
import type { HotStore } from '@airlock/redis';
import { SessionAdminClient, SessionStoreClientError } from '@airlock/session-client';
import { LoginSessions } from '../login-sessions/login-sessions.service.js';
import { HOT_STORE } from '../infra/infra.tokens.js';
import { AdminError, notFound } from './admin.errors.js';
import type { Page } from './admin-paging.js';
import { AdminSessionsRepository, type SessionFilter, type SessionSort } from './admin-sessions.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';

export type AdminLoginSessionView = Omit<AdminSessionView, 'servers' | 'protocolVersion'>;

export interface AdminSessionView {
  id: string;
  subject: string;
  clientId: string;
  servers: string[];
  protocolVersion: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** Why the session store ended them (its own audit record and `session.revoked` event carry it). */
const REVOKE_REASON = 'admin';
/** Session-store calls in flight at once when ending sessions one by one. */
const REVOKE_CONCURRENCY = 16;

/** The session store down or refusing is the caller's to retry (503), not an admin API defect (500). */
async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionStoreClientError) throw new AdminError('temporarily_unavailable', 'the session store cannot end sessions right now; retry');
    throw error;
  }
}

/**
 * A tenant's live MCP sessions for the admin API. Listing pages the session store's durable rows and keeps
 * those whose live record is still in the hot store (a durable row lags an ending by a queued write);
 * ending goes through the session store's API, which drops the live record first, so every gateway
 * refuses the session within a second, then records it durably and in the audit log.
 */
@Injectable()
export class AdminSessionsService {
  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    private readonly repository: AdminSessionsRepository,
    private readonly tenants: ManagedTenants,
    private readonly store: SessionAdminClient,
    private readonly logins: LoginSessions,
  ) {}

  async list(slug: string, filter: SessionFilter, limit: number, cursor: string | undefined, sort: SessionSort = 'created'): Promise<Page<AdminSessionView>> {
    return this.listOfKind(slug, filter, limit, cursor, 'mcp', sort);
  }

  /** A tenant's live browser sign-ins (the session store's `login` sessions), as MCP sessions are listed. */
  async listLogins(slug: string, subject: string | undefined, limit: number, cursor: string | undefined): Promise<Page<AdminLoginSessionView>> {
    const { items, nextCursor } = await this.listOfKind(slug, { subject }, limit, cursor, 'login');
    return { items: items.map(({ servers: _servers, protocolVersion: _version, ...login }) => login), nextCursor };
  }

  /** Ends one login session at the session store, and the browser session holding it here: that browser signs in again. */
  async revokeLogin(slug: string, id: string): Promise<void> {
    const tenant = await this.tenants.get(slug);
    const subject = await this.repository.subjectOf(tenant.id, id, 'login');
    if (subject === undefined) throw notFound('session');
    if (!(await storeCall(() => this.store.revoke(tenant.slug, id, REVOKE_REASON)))) throw notFound('session');
    await this.logins.endBrowserSessionOf(tenant, subject, id);
  }

  private async listOfKind(slug: string, filter: SessionFilter, limit: number, cursor: string | undefined, kind: 'mcp' | 'login', sort: SessionSort = 'created'): Promise<Page<AdminSessionView>> {
    const tenant = await this.tenants.get(slug);
    const { items, nextCursor } = await this.repository.listActive(tenant.id, filter, limit, cursor, kind, sort);
    if (items.length === 0) return { items: [], nextCursor };
    const keys = items.flatMap((row) => [sessionRecordKey(slug, row.id), sessionSeenKey(slug, row.id)]);
    const raw = await this.hot.mget(keys);
    const views: AdminSessionView[] = [];
    items.forEach((row, index) => {
      const live = parseHotSession(raw[2 * index] ?? null, raw[2 * index + 1] ?? null);
      if (!live || live.session.state !== 'active') return;
      views.push({
        id: row.id,
        subject: row.subject,
        clientId: row.clientId,
        servers: live.session.upstreams.map((binding) => binding.server),
        protocolVersion: live.session.protocolVersion ?? row.protocolVersion,
        createdAt: row.createdAt.toISOString(),
        lastSeenAt: live.session.lastSeenAt,
        expiresAt: row.expiresAt.toISOString(),
      });
    });
    // A page may come back shorter than `limit` (sessions ended since their row was written): the cursor still moves on.
    return { items: views, nextCursor };
  }

  async revoke(slug: string, id: string): Promise<void> {
    const tenant = await this.tenants.get(slug);
    if (!(await storeCall(() => this.store.revoke(tenant.slug, id, REVOKE_REASON)))) throw notFound('session');
  }

  /**
   * Ends a client's or a user's MCP sessions; returns how many were live. A client alone goes by the
   * session store's own index (it also finds sessions whose durable row is not written yet); a subject
   * goes session by session, so the user's browser login sessions stay.
   */
  async revokeMany(slug: string, filter: SessionFilter): Promise<number> {
    const tenant = await this.tenants.get(slug);
    if (filter.client !== undefined && filter.subject === undefined) return storeCall(() => this.store.revokeClient(tenant.slug, filter.client!, REVOKE_REASON));
    return (await this.revokeEach(tenant.slug, await this.repository.activeIds(tenant.id, filter))).length;
  }

  /**
   * Ends the listed sessions that are the tenant's live MCP sessions (an id of another tenant, a login
   * session or an ended one is left alone and reported as not live). The session store audits each one.
   */
  async revokeIds(slug: string, ids: string[]): Promise<{ revoked: string[]; notLive: string[] }> {
    const tenant = await this.tenants.get(slug);
    const unique = [...new Set(ids)];
    const active = new Set(await this.repository.activeOf(tenant.id, unique));
    const revoked = new Set(await this.revokeEach(tenant.slug, [...active]));
    return { revoked: unique.filter((id) => revoked.has(id)), notLive: unique.filter((id) => !revoked.has(id)) };
  }

  /** Ends sessions one by one at the session store (a few at a time); the ids it found live. */
  private async revokeEach(slug: string, ids: string[]): Promise<string[]> {
    const ended: string[] = [];
    for (let i = 0; i < ids.length; i += REVOKE_CONCURRENCY) {
      const batch = ids.slice(i, i + REVOKE_CONCURRENCY);
      const results = await Promise.all(batch.map((id) => storeCall(() => this.store.revoke(slug, id, REVOKE_REASON))));
      results.forEach((live, index) => live && ended.push(batch[index]!));
    }
    return ended;
  }
}
