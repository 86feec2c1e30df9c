import { randomUUID } from 'node:crypto';
import { CONNECTED_ACCOUNT_CHANGED_CHANNEL, connectAccountUrl } from '@airlock/contracts';
import { ConnectedAccountStore, expiryOf, upstreamTokenRequest } from '@airlock/platform';
import type { ConnectedAccount } from '@airlock/platform';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import type { Pool } from 'pg';
import { GatewayError } from '../errors/gateway-error.js';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';

/** How long before its expiry an access token is refreshed rather than sent (at most). */
const EXPIRY_MARGIN_MS = 30_000;
/** How long a replica holds the refresh lock of one account (a refresh takes one token request). */
const LOCK_TTL_MS = 15_000;
/** How often a replica waiting for another's refresh reads the row again. */
const WAIT_POLL_MS = 50;
/** How long a read row is used without reading it again (disconnects also drop it at once over pub/sub). */
const CACHE_MS = 2_000;

/**
 * The user has no usable account at an `oauth_user` upstream (never connected, disconnected, or its refresh
 * failed): the call answers with where to connect it. A GatewayError, so any path that does not turn it
 * into a URL elicitation still answers the client with the link.
 */
export class AccountNotConnectedError extends GatewayError {
  constructor(
    readonly connectUrl: string,
    readonly serverName: string,
    reason: string,
  ) {
    super('account_not_connected', { message: connectMessage(serverName, connectUrl), data: { connectUrl }, detail: `no connected account at ${serverName}: ${reason}` });
  }

  /** MCP 2025-11-25 URLElicitationRequiredError (-32042) for a client that declared `elicitation.url`. */
  elicitation(): GatewayError {
    return new GatewayError('url_elicitation_required', {
      message: `Connect your ${this.serverName} account to use its tools`,
      data: { elicitations: [{ mode: 'url', elicitationId: randomUUID(), url: this.connectUrl, message: connectMessage(this.serverName, this.connectUrl) }] },
      detail: this.message,
      auditDetails: { reason: 'account_not_connected' },
    });
  }
}

export function connectMessage(serverName: string, url: string): string {
  return `This tool needs your ${serverName} account. Open ${url} to connect it, then try again.`;
}

interface CachedAccount {
  account: ConnectedAccount | undefined;
  at: number;
}

/**
 * Connected accounts as the gateway uses them: the user's access token at an `oauth_user` upstream (read
 * from Postgres, cached a moment), refreshed before it expires or after the upstream refused it.
 * Refreshes are single-flight per account across every replica: one in-process promise, then a Redis lock
 * per user + server; a replica that does not get the lock waits and reads the row again. A refresh the
 * upstream refuses deletes the tokens (the user connects again). The user's Airlock token never goes upstream.
 */
export class ConnectedAccountTokens {
  private readonly store: ConnectedAccountStore;
  private readonly cache = new Map<string, CachedAccount>();
  private readonly refreshing = new Map<string, Promise<ConnectedAccount>>();
  private unsubscribe: (() => Promise<void>) | undefined;
  /** Refresh requests this process sent to upstream authorization servers (tests, metrics). */
  refreshes = 0;

  constructor(
    private readonly deps: { pg: Pick<Pool, 'query'>; hot: HotStore; masterKey: Buffer; authPublicUrl: string; fetchImpl: typeof fetch; logger: Logger },
  ) {
    this.store = new ConnectedAccountStore(deps.pg, deps.masterKey);
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.hot.subscribe(
      CONNECTED_ACCOUNT_CHANGED_CHANNEL,
      (message) => {
        try {
          const { serverId, userId } = JSON.parse(message) as { serverId?: string; userId?: string };
          if (serverId && userId) this.cache.delete(key(serverId, userId));
          else this.cache.clear();
        } catch {
          this.cache.clear();
        }
      },
      { onResubscribed: () => this.cache.clear() },
    );
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  connectUrl(tenant: string, server: UpstreamServerRecord): string {
    return connectAccountUrl(this.deps.authPublicUrl, tenant, server.name);
  }

  /** The Authorization header for `userId` at `server`; throws AccountNotConnectedError when there is no usable account. */
  async authorization(server: UpstreamServerRecord, tenant: string, userId: string | undefined): Promise<string> {
    if (!userId) throw new AccountNotConnectedError(this.connectUrl(tenant, server), server.name, 'no user');
    let account = await this.read(server, userId);
    if (!account) throw new AccountNotConnectedError(this.connectUrl(tenant, server), server.name, 'not connected');
    if (expiresSoon(account)) account = await this.refresh(server, tenant, userId, account);
    return `Bearer ${account.tokens.accessToken}`;
  }

  /** Whether the user has an account at `server` now (no refresh). */
  async connected(server: UpstreamServerRecord, userId: string): Promise<boolean> {
    return (await this.read(server, userId)) !== undefined;
  }

  /**
   * The upstream refused the token that `authorization` gave (401): refreshed once for every call that saw
   * the same refusal. `rejected` is the header that was refused.
   */
  async rejected(server: UpstreamServerRecord, tenant: string, userId: string, rejected: string): Promise<void> {
    this.cache.delete(key(server.id, userId));
    const account = await this.read(server, userId);
    if (!account) throw new AccountNotConnectedError(this.connectUrl(tenant, server), server.name, 'not connected');
    // Someone refreshed since: the next call uses the new token.
    if (`Bearer ${account.tokens.accessToken}` !== rejected) return;
    await this.refresh(server, tenant, userId, account);
  }

  private async read(server: UpstreamServerRecord, userId: string, fresh = false): Promise<ConnectedAccount | undefined> {
    const k = key(server.id, userId);
    const cached = this.cache.get(k);
    if (!fresh && cached && Date.now() - cached.at < CACHE_MS) return cached.account;
    const account = await this.store.find(server.tenantId, userId, server.id);
    this.cache.set(k, { account, at: Date.now() });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return account;
  }

  private refresh(server: UpstreamServerRecord, tenant: string, userId: string, stale: ConnectedAccount): Promise<ConnectedAccount> {
    const k = key(server.id, userId);
    let pending = this.refreshing.get(k);
    if (!pending) {
      pending = this.refreshAcrossReplicas(server, tenant, userId, stale).finally(() => this.refreshing.delete(k));
      this.refreshing.set(k, pending);
    }
    return pending;
  }

  private async refreshAcrossReplicas(server: UpstreamServerRecord, tenant: string, userId: string, stale: ConnectedAccount): Promise<ConnectedAccount> {
    const lock = `gw:oauth-refresh:${server.id}:${userId}`;
    const owner = randomUUID();
    const deadline = Date.now() + LOCK_TTL_MS * 2;
    const gone = (reason: string) => {
      this.cache.set(key(server.id, userId), { account: undefined, at: Date.now() });
      return new AccountNotConnectedError(this.connectUrl(tenant, server), server.name, reason);
    };
    for (;;) {
      const current = await this.read(server, userId, true);
      if (!current) throw gone('disconnected');
      // Another replica (or an earlier refresh here) already replaced the tokens.
      if (current.sealed !== stale.sealed) return current;
      if (await this.deps.hot.set(lock, owner, { ttlMs: LOCK_TTL_MS, onlyIfAbsent: true })) {
        try {
          // Read once more under the lock: a refresh may have finished between the read and the lock.
          const locked = await this.read(server, userId, true);
          if (!locked) throw gone('disconnected');
          if (locked.sealed !== stale.sealed) return locked;
          return await this.refreshNow(server, tenant, userId, locked, gone);
        } finally {
          if ((await this.deps.hot.get(lock)) === owner) await this.deps.hot.del(lock);
        }
      }
      if (Date.now() > deadline) throw new GatewayError('upstream_unavailable', { detail: `refresh of the account at ${server.name} did not finish in time` });
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  private async refreshNow(server: UpstreamServerRecord, tenant: string, userId: string, account: ConnectedAccount, gone: (reason: string) => Error): Promise<ConnectedAccount> {
    const { logger } = this.deps;
    const client = await this.store.oauthClient(server.tenantId, server.id);
    const refreshToken = account.tokens.refreshToken;
    if (!client || !refreshToken) {
      await this.store.delete(server.tenantId, userId, server.id, account.sealed);
      throw gone(client ? 'expired, no refresh token' : 'no client at the upstream');
    }
    this.refreshes += 1;
    const answer = await upstreamTokenRequest(this.deps.fetchImpl, client, { grant_type: 'refresh_token', refresh_token: refreshToken, resource: server.url ?? client.resource });
    if (!answer.ok) {
      if (answer.status >= 500) throw new GatewayError('upstream_unavailable', { detail: `refresh at ${server.name} failed: ${answer.error}` });
      // Refused (invalid_grant: revoked, expired, reused): the tokens are useless; the user connects again.
      logger.info({ tenant, upstream: server.name, error: answer.error }, 'connected account refresh refused; the user must connect again');
      await this.store.delete(server.tenantId, userId, server.id, account.sealed);
      throw gone(`refresh refused (${answer.error})`);
    }
    const tokens = { accessToken: answer.accessToken, refreshToken: answer.refreshToken ?? refreshToken, ...(answer.tokenType ? { tokenType: answer.tokenType } : {}) };
    const scopes = answer.scope !== undefined ? answer.scope.split(' ').filter(Boolean) : account.scopes;
    const stored = await this.store.replaceTokens(account, tokens, expiryOf(answer.expiresIn), scopes);
    const fresh = await this.read(server, userId, true);
    if (!stored || !fresh) throw gone('disconnected during refresh');
    logger.debug({ tenant, upstream: server.name }, 'connected account refreshed');
    return fresh;
  }
}

const key = (serverId: string, userId: string) => `${serverId}:${userId}`;

/** Refreshed ahead of its expiry: 30 s before it, or a quarter of its lifetime before it for short-lived tokens. */
function expiresSoon(account: ConnectedAccount, now = Date.now()): boolean {
  if (!account.expiresAt) return false;
  const expiresAt = account.expiresAt.getTime();
  const issuedAt = (account.refreshedAt ?? account.createdAt).getTime();
  const margin = Math.min(EXPIRY_MARGIN_MS, Math.max(0, expiresAt - issuedAt) / 4);
  return expiresAt - margin <= now;
}
