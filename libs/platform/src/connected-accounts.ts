import type { Pool } from 'pg';
import {
  connectedAccountContext,
  connectedAccountTokensSchema,
  upstreamOAuthClientContext,
  upstreamOAuthClientSchema,
  type ConnectedAccountTokens,
  type UpstreamOAuthClient,
} from '@airlock/contracts';
import { openSecret, sealSecret } from './secret-box.js';

// Connected accounts (issue 17): the rows both the auth server (connect, disconnect, deprovision) and the
// gateway (use, refresh) read and write, sealed under the master key, and the few OAuth requests both
// make to an upstream's authorization server (token, revocation). Plain `pg`: the gateway's hot path.

export interface ConnectedAccount {
  id: string;
  tenantId: string;
  userId: string;
  serverId: string;
  tokens: ConnectedAccountTokens;
  /** The sealed form as stored: a refresh that finds it changed knows another replica refreshed first. */
  sealed: string;
  expiresAt: Date | null;
  scopes: string[];
  createdAt: Date;
  refreshedAt: Date | null;
}

export interface ConnectedAccountListing extends Omit<ConnectedAccount, 'tokens' | 'sealed'> {
  serverName: string;
  serverUrl: string | null;
}

interface Row {
  id: string;
  tenantId: string;
  userId: string;
  serverId: string;
  tokensEncrypted: string;
  expiresAt: Date | null;
  scopes: string[] | null;
  createdAt: Date;
  refreshedAt: Date | null;
}

const COLUMNS = `id, tenant_id AS "tenantId", user_id AS "userId", server_id AS "serverId", tokens_encrypted AS "tokensEncrypted",
                 expires_at AS "expiresAt", scopes, created_at AS "createdAt", refreshed_at AS "refreshedAt"`;

export class ConnectedAccountStore {
  constructor(
    private readonly pg: Pick<Pool, 'query'>,
    private readonly masterKey: Buffer,
  ) {}

  private open(row: Row): ConnectedAccount {
    const context = connectedAccountContext(row.tenantId, row.serverId, row.userId);
    const tokens = connectedAccountTokensSchema.parse(JSON.parse(openSecret(this.masterKey, row.tokensEncrypted, context)));
    return {
      id: row.id,
      tenantId: row.tenantId,
      userId: row.userId,
      serverId: row.serverId,
      tokens,
      sealed: row.tokensEncrypted,
      expiresAt: row.expiresAt,
      scopes: row.scopes ?? [],
      createdAt: row.createdAt,
      refreshedAt: row.refreshedAt,
    };
  }

  private seal(tenantId: string, serverId: string, userId: string, tokens: ConnectedAccountTokens): string {
    return sealSecret(this.masterKey, JSON.stringify(tokens), connectedAccountContext(tenantId, serverId, userId));
  }

  async find(tenantId: string, userId: string, serverId: string): Promise<ConnectedAccount | undefined> {
    const { rows } = await this.pg.query<Row>(`SELECT ${COLUMNS} FROM connected_accounts WHERE tenant_id = $1 AND user_id = $2 AND server_id = $3`, [tenantId, userId, serverId]);
    return rows[0] ? this.open(rows[0]) : undefined;
  }

  /** A new connection (or a reconnection, which replaces the previous tokens). */
  async save(account: { tenantId: string; userId: string; serverId: string; tokens: ConnectedAccountTokens; expiresAt: Date | null; scopes: string[] }): Promise<void> {
    const sealed = this.seal(account.tenantId, account.serverId, account.userId, account.tokens);
    await this.pg.query(
      `INSERT INTO connected_accounts (id, tenant_id, user_id, server_id, tokens_encrypted, expires_at, scopes)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id, server_id) DO UPDATE SET tokens_encrypted = EXCLUDED.tokens_encrypted, expires_at = EXCLUDED.expires_at,
         scopes = EXCLUDED.scopes, created_at = now(), refreshed_at = NULL`,
      [account.tenantId, account.userId, account.serverId, sealed, account.expiresAt, account.scopes],
    );
  }

  /**
   * Stores refreshed tokens, only over the tokens the refresh started from (`previous.sealed`): false when
   * the row changed or went away meanwhile (a disconnect must not be undone by a refresh in flight).
   */
  async replaceTokens(previous: ConnectedAccount, tokens: ConnectedAccountTokens, expiresAt: Date | null, scopes: string[]): Promise<boolean> {
    const sealed = this.seal(previous.tenantId, previous.serverId, previous.userId, tokens);
    const result = await this.pg.query(
      `UPDATE connected_accounts SET tokens_encrypted = $2, expires_at = $3, scopes = $4, refreshed_at = now() WHERE id = $1 AND tokens_encrypted = $5`,
      [previous.id, sealed, expiresAt, scopes, previous.sealed],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes one account; returns what it held (for revocation at the upstream), or undefined. */
  async delete(tenantId: string, userId: string, serverId: string, onlyIfSealed?: string): Promise<ConnectedAccount | undefined> {
    const { rows } = await this.pg.query<Row>(
      `DELETE FROM connected_accounts WHERE tenant_id = $1 AND user_id = $2 AND server_id = $3 ${onlyIfSealed === undefined ? '' : 'AND tokens_encrypted = $4'} RETURNING ${COLUMNS}`,
      onlyIfSealed === undefined ? [tenantId, userId, serverId] : [tenantId, userId, serverId, onlyIfSealed],
    );
    return rows[0] ? this.open(rows[0]) : undefined;
  }

  /** Every account of a user (deprovisioning): deleted, returned for revocation. */
  async deleteForUser(tenantId: string, userId: string): Promise<ConnectedAccount[]> {
    const { rows } = await this.pg.query<Row>(`DELETE FROM connected_accounts WHERE tenant_id = $1 AND user_id = $2 RETURNING ${COLUMNS}`, [tenantId, userId]);
    return rows.flatMap((row) => {
      try {
        return [this.open(row)];
      } catch {
        return [];
      }
    });
  }

  /** The account page's list: no tokens, with each server's name. */
  async listForUser(tenantId: string, userId: string): Promise<ConnectedAccountListing[]> {
    const { rows } = await this.pg.query<Row & { serverName: string; serverUrl: string | null }>(
      `SELECT a.id, a.tenant_id AS "tenantId", a.user_id AS "userId", a.server_id AS "serverId", a.expires_at AS "expiresAt", a.scopes,
              a.created_at AS "createdAt", a.refreshed_at AS "refreshedAt", s.name AS "serverName", s.url AS "serverUrl"
         FROM connected_accounts a JOIN upstream_servers s ON s.id = a.server_id
        WHERE a.tenant_id = $1 AND a.user_id = $2 ORDER BY s.name`,
      [tenantId, userId],
    );
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenantId,
      userId: row.userId,
      serverId: row.serverId,
      expiresAt: row.expiresAt,
      scopes: row.scopes ?? [],
      createdAt: row.createdAt,
      refreshedAt: row.refreshedAt,
      serverName: row.serverName,
      serverUrl: row.serverUrl,
    }));
  }

  async oauthClient(tenantId: string, serverId: string): Promise<UpstreamOAuthClient | undefined> {
    const { rows } = await this.pg.query<{ clientEncrypted: string }>(
      `SELECT client_encrypted AS "clientEncrypted" FROM upstream_oauth_clients WHERE tenant_id = $1 AND server_id = $2`,
      [tenantId, serverId],
    );
    if (!rows[0]) return undefined;
    return upstreamOAuthClientSchema.parse(JSON.parse(openSecret(this.masterKey, rows[0].clientEncrypted, upstreamOAuthClientContext(tenantId, serverId))));
  }

  async saveOAuthClient(tenantId: string, serverId: string, client: UpstreamOAuthClient): Promise<void> {
    const sealed = sealSecret(this.masterKey, JSON.stringify(client), upstreamOAuthClientContext(tenantId, serverId));
    await this.pg.query(
      `INSERT INTO upstream_oauth_clients (server_id, tenant_id, issuer, client_encrypted, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (server_id) DO UPDATE SET issuer = EXCLUDED.issuer, client_encrypted = EXCLUDED.client_encrypted, updated_at = now()`,
      [serverId, tenantId, client.issuer, sealed],
    );
  }
}

/** A token endpoint's answer (RFC 6749 section 5.1), or its refusal. */
export type UpstreamTokenAnswer =
  | { ok: true; accessToken: string; refreshToken: string | undefined; tokenType: string | undefined; expiresIn: number | undefined; scope: string | undefined }
  | { ok: false; status: number; error: string };

/** The client authentication of a request to the upstream's authorization server, by the client's method. */
function authenticate(client: UpstreamOAuthClient, form: URLSearchParams, headers: Record<string, string>): void {
  if (client.tokenEndpointAuthMethod === 'client_secret_basic' && client.clientSecret !== undefined) {
    headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
    return;
  }
  form.set('client_id', client.clientId);
  if (client.tokenEndpointAuthMethod === 'client_secret_post' && client.clientSecret !== undefined) form.set('client_secret', client.clientSecret);
}

/** A token request (code or refresh grant) at the upstream's token endpoint, through `fetchImpl` (the egress policy). */
export async function upstreamTokenRequest(fetchImpl: typeof fetch, client: UpstreamOAuthClient, grant: Record<string, string>): Promise<UpstreamTokenAnswer> {
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  authenticate(client, form, headers);
  const response = await fetchImpl(client.tokenEndpoint, { method: 'POST', headers, body: form, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body['access_token'] !== 'string') {
    return { ok: false, status: response.status, error: typeof body['error'] === 'string' ? body['error'].slice(0, 100) : `http_${response.status}` };
  }
  return {
    ok: true,
    accessToken: body['access_token'],
    refreshToken: typeof body['refresh_token'] === 'string' ? body['refresh_token'] : undefined,
    tokenType: typeof body['token_type'] === 'string' ? body['token_type'] : undefined,
    expiresIn: typeof body['expires_in'] === 'number' && body['expires_in'] > 0 ? body['expires_in'] : undefined,
    scope: typeof body['scope'] === 'string' ? body['scope'] : undefined,
  };
}

/** RFC 7009 revocation of one token, when the upstream's authorization server has a revocation endpoint; false otherwise or on failure. */
export async function revokeUpstreamToken(fetchImpl: typeof fetch, client: UpstreamOAuthClient, token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean> {
  if (!client.revocationEndpoint) return false;
  const form = new URLSearchParams({ token, token_type_hint: hint });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  authenticate(client, form, headers);
  try {
    const response = await fetchImpl(client.revocationEndpoint, { method: 'POST', headers, body: form, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok;
  } catch {
    return false;
  }
}

/** Revokes what an account held (refresh token first: it revokes the grant at most servers). */
export async function revokeConnectedAccount(fetchImpl: typeof fetch, client: UpstreamOAuthClient | undefined, account: ConnectedAccount): Promise<boolean> {
  if (!client?.revocationEndpoint) return false;
  const refreshed = account.tokens.refreshToken ? await revokeUpstreamToken(fetchImpl, client, account.tokens.refreshToken, 'refresh_token') : false;
  const accessed = await revokeUpstreamToken(fetchImpl, client, account.tokens.accessToken, 'access_token');
  return refreshed || accessed;
}

/** When an access token that lives `expiresIn` seconds from `now` expires (null: unknown). */
export function expiryOf(expiresIn: number | undefined, now = Date.now()): Date | null {
  return expiresIn === undefined ? null : new Date(now + expiresIn * 1000);
}
