import { revokeSessionsResponseSchema, sessionSchema } from '@airlock/contracts';
import type { Session } from '@airlock/contracts';
import type { CreateSessionInput } from './session-client.js';
import { SessionStoreApi, type SessionStoreApiOptions } from './session-store-api.js';

/**
 * The session store's API as a session's issuer uses it (the auth server: browser sign-ins as `login`
 * sessions, and ending sessions for the admin API, sign-out and deletions). Every call goes over HTTP:
 * unlike the gateway's SessionClient it caches nothing and never reads the hot store.
 */
export class SessionAdminClient {
  private readonly api: SessionStoreApi;

  constructor(options: SessionStoreApiOptions) {
    this.api = new SessionStoreApi(options);
  }

  async create(tenant: string, request: CreateSessionInput): Promise<Session> {
    const response = await this.api.call(tenant, 'POST', '', request);
    if (response.status !== 201) throw await this.api.failure(response);
    return sessionSchema.parse(await response.json());
  }

  /** Ends one session; one that is already gone counts as ended. */
  async end(tenant: string, id: string, reason: string): Promise<void> {
    await this.revoke(tenant, id, reason);
  }

  /** Ends one session; false when it was not live (never was, already ended, or another tenant's). */
  async revoke(tenant: string, id: string, reason: string): Promise<boolean> {
    const response = await this.api.call(tenant, 'DELETE', `/${encodeURIComponent(id)}`, { reason });
    if (!response.ok && response.status !== 404) throw await this.api.failure(response);
    await response.body?.cancel();
    return response.ok;
  }

  /** Touches one session; false when it is no longer live (ended or idled out). */
  async touch(tenant: string, id: string): Promise<boolean> {
    const response = await this.api.call(tenant, 'POST', `/${encodeURIComponent(id)}/touch`);
    if (!response.ok && response.status !== 404) throw await this.api.failure(response);
    await response.body?.cancel();
    return response.ok;
  }

  /** Ends every session of a client; returns how many were live. */
  revokeClient(tenant: string, clientId: string, reason: string): Promise<number> {
    return this.revokeMany(tenant, { clientId, reason });
  }

  /** Ends every session (MCP and login) of a subject; returns how many were live. */
  revokeSubject(tenant: string, subject: string, reason: string): Promise<number> {
    return this.revokeMany(tenant, { subject, reason });
  }

  private async revokeMany(tenant: string, body: { clientId?: string; subject?: string; reason: string }): Promise<number> {
    const response = await this.api.call(tenant, 'POST', '/revoke', body);
    if (!response.ok) throw await this.api.failure(response);
    return revokeSessionsResponseSchema.parse(await response.json()).revoked;
  }
}
