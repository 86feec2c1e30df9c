import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { AuthServerConfig } from '@airlock/config';
import { CONNECTED_ACCOUNT_CHANGED_CHANNEL, oauthUserSecretsSchema, upstreamSecretContext } from '@airlock/contracts';
import type { OAuthUserSecrets, UpstreamOAuthClient } from '@airlock/contracts';
import { EgressPolicy, egressAgent, egressFetch } from '@airlock/egress';
import type { Logger } from '@airlock/observability';
import { ConnectedAccountStore, expiryOf, openSecret, revokeConnectedAccount, upstreamTokenRequest } from '@airlock/platform';
import type { ConnectedAccount, ConnectedAccountListing, UpstreamTokenAnswer } from '@airlock/platform';
import type { HotStore } from '@airlock/redis';
import { AUTH_CONFIG, HOT_STORE, LOGGER, MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';
import { discoverUpstreamClient } from './upstream-oauth-discovery.js';

/** An `oauth_user` upstream as the connect page needs it. */
export interface OAuthUserServer {
  id: string;
  tenantId: string;
  name: string;
  url: string;
  preRegistered: OAuthUserSecrets['oauthClient'] | undefined;
}

export function connectCallbackUrl(issuer: string, serverName: string): string {
  return `${issuer}/connect/${encodeURIComponent(serverName)}/callback`;
}

/**
 * Connected accounts on the auth server's side (issue 17): the connect page's client at each `oauth_user`
 * upstream (discovered and registered once, kept sealed), storing the tokens a connection yields, the
 * account page's list and disconnect (revoked at the upstream when it can), and deleting a user's accounts
 * when the user is signed out everywhere (deprovisioning). Every change is announced so gateways drop the
 * account at once.
 */
@Injectable()
export class ConnectedAccountsService {
  private readonly store: ConnectedAccountStore;
  readonly fetch: typeof globalThis.fetch;
  private readonly allowHttp: boolean;

  constructor(
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
  ) {
    this.store = new ConnectedAccountStore(pg, masterKey);
    // Upstream authorization servers are tenant input: reached through the operator's egress policy only.
    this.fetch = egressFetch(egressAgent(new EgressPolicy(config.egress)));
    this.allowHttp = config.env !== 'production';
  }

  /** The tenant's enabled `oauth_user` http server of that name, or undefined. */
  async server(tenantId: string, name: string): Promise<OAuthUserServer | undefined> {
    const { rows } = await this.pg.query<{ id: string; name: string; url: string | null; secretsEncrypted: string | null }>(
      `SELECT id, name, url, secrets_encrypted AS "secretsEncrypted" FROM upstream_servers
        WHERE tenant_id = $1 AND name = $2 AND enabled AND transport = 'http' AND credential_kind = 'oauth_user'`,
      [tenantId, name],
    );
    const row = rows[0];
    if (!row?.url) return undefined;
    let preRegistered: OAuthUserSecrets['oauthClient'] | undefined;
    if (row.secretsEncrypted) {
      const parsed = oauthUserSecretsSchema.safeParse(JSON.parse(openSecret(this.masterKey, row.secretsEncrypted, upstreamSecretContext(tenantId, row.name))));
      if (parsed.success) preRegistered = parsed.data.oauthClient;
    }
    return { id: row.id, tenantId, name: row.name, url: row.url, preRegistered };
  }

  /** The client at the server's authorization server: stored, or discovered and registered now (and stored). */
  async client(server: OAuthUserServer, redirectUri: string, tenantName: string): Promise<UpstreamOAuthClient> {
    const stored = await this.store.oauthClient(server.tenantId, server.id).catch(() => undefined);
    const wanted = server.preRegistered ? 'pre-registered' : 'dynamic';
    if (stored && stored.resource === server.url && stored.redirectUri === redirectUri && stored.registration === wanted && (!server.preRegistered || stored.clientId === server.preRegistered.clientId)) return stored;
    const client = await discoverUpstreamClient({ fetchImpl: this.fetch, allowHttp: this.allowHttp }, server.url, server.preRegistered, redirectUri, `Airlock (${tenantName})`);
    await this.store.saveOAuthClient(server.tenantId, server.id, client);
    this.logger.info({ tenant: server.tenantId, upstream: server.name, issuer: client.issuer, registration: client.registration }, 'connected accounts: client ready at the upstream authorization server');
    return client;
  }

  exchangeCode(client: UpstreamOAuthClient, grant: Record<string, string>): Promise<UpstreamTokenAnswer> {
    return upstreamTokenRequest(this.fetch, client, { grant_type: 'authorization_code', ...grant });
  }

  async save(server: OAuthUserServer, userId: string, answer: Extract<UpstreamTokenAnswer, { ok: true }>, requestedScope: string | undefined): Promise<void> {
    const scopes = (answer.scope ?? requestedScope ?? '').split(' ').filter(Boolean);
    await this.store.save({
      tenantId: server.tenantId,
      userId,
      serverId: server.id,
      tokens: { accessToken: answer.accessToken, ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}), ...(answer.tokenType ? { tokenType: answer.tokenType } : {}) },
      expiresAt: expiryOf(answer.expiresIn),
      scopes,
    });
    await this.announce(server.tenantId, server.id, userId);
  }

  list(tenantId: string, userId: string): Promise<ConnectedAccountListing[]> {
    return this.store.listForUser(tenantId, userId);
  }

  /** Deletes the user's account at the server (revoked at the upstream when it has a revocation endpoint); false when there was none. */
  async disconnect(tenantId: string, userId: string, serverId: string): Promise<{ deleted: boolean; revoked: boolean }> {
    const account = await this.store.delete(tenantId, userId, serverId);
    if (!account) return { deleted: false, revoked: false };
    await this.announce(tenantId, serverId, userId);
    return { deleted: true, revoked: await this.revoke(account) };
  }

  /** Deprovisioning: every account of the user deleted now, revoked at the upstreams in the background. */
  async forgetUser(tenantId: string, userId: string): Promise<number> {
    const accounts = await this.store.deleteForUser(tenantId, userId);
    await Promise.all(accounts.map((account) => this.announce(tenantId, account.serverId, userId)));
    for (const account of accounts) void this.revoke(account);
    return accounts.length;
  }

  private async revoke(account: ConnectedAccount): Promise<boolean> {
    try {
      const client = await this.store.oauthClient(account.tenantId, account.serverId);
      return await revokeConnectedAccount(this.fetch, client, account);
    } catch (error) {
      this.logger.warn({ err: error, tenant: account.tenantId, server: account.serverId }, 'could not revoke a connected account at its upstream');
      return false;
    }
  }

  private async announce(tenantId: string, serverId: string, userId: string): Promise<void> {
    await this.hot.publish(CONNECTED_ACCOUNT_CHANGED_CHANNEL, JSON.stringify({ tenantId, serverId, userId })).catch((error: unknown) => this.logger.warn({ err: error }, 'could not announce a connected account change'));
  }
}
