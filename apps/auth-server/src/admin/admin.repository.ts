import { Inject, Injectable } from '@nestjs/common';
import type { Infra } from '@airlock/platform';
import type { RegistrationPolicy } from '@airlock/contracts';
import { inTransaction } from '../database/transaction.js';
import { INFRA } from '../oidc/ports.js';
import { AdminError } from './admin.errors.js';

// The admin API's reads and writes, in plain pg. Lists are keyset-paginated on a unique text column
// (slug, email, client id, name): the cursor is that value of the last item, base64url-encoded.

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TenantView {
  id: string;
  slug: string;
  displayName: string;
  registrationPolicy: RegistrationPolicy;
  accessTokenTtl: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  disabled: boolean;
  createdAt: Date;
}

export interface ClientRow {
  clientId: string;
  kind: string;
  metadata: Record<string, unknown>;
  disabled: boolean;
  createdAt: Date;
}

export interface UpstreamServerView {
  id: string;
  name: string;
  transport: 'http' | 'stdio';
  url: string | null;
  command: string | null;
  args: string[];
  credentialKind: string;
  hasSecrets: boolean;
  enabled: boolean;
  sandbox: boolean;
  readOnlyPaths: string[];
  /** The admin's pin: auto (detected on connect) or a revision. */
  protocolEra: string;
  /** The era a gateway last detected (null: not yet, or cleared by the last update). */
  detectedProtocolVersion: string | null;
  protocolDetectedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ToolView {
  name: string;
  title: string | null;
  description: string | null;
  requiredScopes: string[];
}

export const encodeCursor = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
/** A cursor this API did not hand out (not canonical base64url of UTF-8 text without NUL) is the client's error, not a 500. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const value = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
  if (value === undefined || value.includes('\u0000') || value.includes('\ufffd') || encodeCursor(value) !== cursor) {
    throw new AdminError('invalid_request', 'cursor: not a cursor this API returned');
  }
  return value;
}

export function page<T>(rows: T[], limit: number, key: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

const TENANT_COLUMNS = `id, slug, display_name AS "displayName", registration_policy AS "registrationPolicy",
  access_token_ttl AS "accessTokenTtl", created_at AS "createdAt", updated_at AS "updatedAt"`;
const USER_COLUMNS = `id, email, display_name AS "displayName", disabled_at IS NOT NULL AS disabled, created_at AS "createdAt"`;
const SERVER_COLUMNS = `id, name, transport, url, command, args, credential_kind AS "credentialKind", secrets_encrypted IS NOT NULL AS "hasSecrets",
  enabled, sandbox, COALESCE(read_only_paths, '{}') AS "readOnlyPaths", protocol_era AS "protocolEra", protocol_version AS "detectedProtocolVersion",
  protocol_detected_at AS "protocolDetectedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;

@Injectable()
export class AdminRepository {
  constructor(@Inject(INFRA) private readonly infra: Infra) {}

  private get pg() {
    return this.infra.pg;
  }

  // Tenants ------------------------------------------------------------------------------------------

  async listTenants(limit: number, cursor: string | undefined, hidden: string, only?: readonly string[]): Promise<Page<TenantView>> {
    const after = decodeCursor(cursor) ?? '';
    const { rows } = await this.pg.query<TenantView>(
      `SELECT ${TENANT_COLUMNS} FROM tenants WHERE slug > $1 AND slug <> $2 AND ($4::text[] IS NULL OR slug = ANY($4::text[])) ORDER BY slug LIMIT $3`,
      [after, hidden, limit + 1, only ?? null],
    );
    return page(rows, limit, (row) => row.slug);
  }

  async findTenant(slug: string): Promise<TenantView | undefined> {
    const { rows } = await this.pg.query<TenantView>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE slug = $1`, [slug]);
    return rows[0];
  }

  async createTenant(input: { slug: string; displayName: string; registrationPolicy: RegistrationPolicy; accessTokenTtl: number }): Promise<TenantView> {
    const { rows } = await this.pg.query<TenantView>(
      `INSERT INTO tenants (id, slug, display_name, registration_policy, access_token_ttl, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, now()) RETURNING ${TENANT_COLUMNS}`,
      [input.slug, input.displayName, input.registrationPolicy, input.accessTokenTtl],
    );
    return rows[0]!;
  }

  async updateTenant(slug: string, patch: { displayName?: string | undefined; registrationPolicy?: RegistrationPolicy | undefined; accessTokenTtl?: number | undefined }): Promise<TenantView | undefined> {
    const { rows } = await this.pg.query<TenantView>(
      `UPDATE tenants SET display_name = COALESCE($2, display_name), registration_policy = COALESCE($3, registration_policy),
         access_token_ttl = COALESCE($4, access_token_ttl), updated_at = now()
       WHERE slug = $1 RETURNING ${TENANT_COLUMNS}`,
      [slug, patch.displayName ?? null, patch.registrationPolicy ?? null, patch.accessTokenTtl ?? null],
    );
    return rows[0];
  }

  async deleteTenant(slug: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM tenants WHERE slug = $1', [slug]);
    return result.rowCount === 1;
  }

  // Users --------------------------------------------------------------------------------------------

  async listUsers(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<UserView>> {
    const { rows } = await this.pg.query<UserView>(
      `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND email > $2 ORDER BY email LIMIT $3`,
      [tenantId, decodeCursor(cursor) ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.email);
  }

  async findUser(tenantId: string, id: string): Promise<UserView | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const { rows } = await this.pg.query<UserView>(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0];
  }

  async updateUser(tenantId: string, id: string, patch: { displayName?: string | null | undefined; passwordHash?: string | undefined; disabled?: boolean | undefined }): Promise<UserView | undefined> {
    const { rows } = await this.pg.query<UserView>(
      `UPDATE users SET
         display_name = CASE WHEN $3 THEN $4 ELSE display_name END,
         password_hash = COALESCE($5, password_hash),
         disabled_at = CASE WHEN $6::boolean IS NULL THEN disabled_at WHEN $6 THEN COALESCE(disabled_at, now()) ELSE NULL END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${USER_COLUMNS}`,
      [tenantId, id, patch.displayName !== undefined, patch.displayName ?? null, patch.passwordHash ?? null, patch.disabled ?? null],
    );
    return rows[0];
  }

  async deleteUser(tenantId: string, id: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return result.rowCount === 1;
  }

  /** Every live grant of a user or client (oidc-provider's Grant rows and the consents that name one). */
  /** Every grant of the tenant that may still have live tokens, and every user id (before the tenant goes). */
  async everythingOf(tenantId: string): Promise<{ grantIds: string[]; userIds: string[] }> {
    const grants = await this.pg.query<{ id: string }>(
      `SELECT id FROM oidc_artifacts WHERE tenant_id = $1 AND model = 'Grant'
       UNION SELECT grant_id FROM consents WHERE tenant_id = $1 AND revoked_at IS NULL`,
      [tenantId],
    );
    const users = await this.pg.query<{ id: string }>('SELECT id::text AS id FROM users WHERE tenant_id = $1', [tenantId]);
    return { grantIds: grants.rows.map((row) => row.id), userIds: users.rows.map((row) => row.id) };
  }

  async grantIds(tenantId: string, by: { accountId: string } | { clientId: string }): Promise<string[]> {
    const [field, value] = 'accountId' in by ? (['accountId', by.accountId] as const) : (['clientId', by.clientId] as const);
    const consentColumn = field === 'accountId' ? 'user_id::text' : 'client_id';
    const { rows } = await this.pg.query<{ id: string }>(
      `SELECT id FROM oidc_artifacts WHERE tenant_id = $1 AND model = 'Grant' AND payload->>'${field}' = $2
       UNION SELECT grant_id FROM consents WHERE tenant_id = $1 AND ${consentColumn} = $2 AND revoked_at IS NULL`,
      [tenantId, value],
    );
    return rows.map((row) => row.id);
  }

  // Clients ------------------------------------------------------------------------------------------

  async listClients(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<ClientRow>> {
    const { rows } = await this.pg.query<ClientRow>(
      `SELECT client_id AS "clientId", kind, metadata, disabled_at IS NOT NULL AS disabled, created_at AS "createdAt" FROM oauth_clients
       WHERE tenant_id = $1 AND client_id > $2 ORDER BY client_id LIMIT $3`,
      [tenantId, decodeCursor(cursor) ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.clientId);
  }

  async findClient(tenantId: string, clientId: string): Promise<ClientRow | undefined> {
    const { rows } = await this.pg.query<ClientRow>(
      `SELECT client_id AS "clientId", kind, metadata, disabled_at IS NOT NULL AS disabled, created_at AS "createdAt" FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2`,
      [tenantId, clientId],
    );
    return rows[0];
  }

  /** False when the id is taken. */
  async insertClient(tenantId: string, clientId: string, metadata: Record<string, unknown>): Promise<boolean> {
    const result = await this.pg.query(
      `INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, updated_at) VALUES ($1, $2, 'admin', $3, now()) ON CONFLICT DO NOTHING`,
      [tenantId, clientId, JSON.stringify(metadata)],
    );
    return result.rowCount === 1;
  }

  async setClientDisabled(tenantId: string, clientId: string, disabled: boolean): Promise<boolean> {
    const result = await this.pg.query(
      `UPDATE oauth_clients SET disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, now()) ELSE NULL END, updated_at = now() WHERE tenant_id = $1 AND client_id = $2`,
      [tenantId, clientId, disabled],
    );
    return result.rowCount === 1;
  }

  async deleteClient(tenantId: string, clientId: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
    return result.rowCount === 1;
  }

  // Upstream servers and tools -----------------------------------------------------------------------

  async listServers(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<UpstreamServerView>> {
    const { rows } = await this.pg.query<UpstreamServerView>(
      `SELECT ${SERVER_COLUMNS} FROM upstream_servers WHERE tenant_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
      [tenantId, decodeCursor(cursor) ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.name);
  }

  async findServer(tenantId: string, name: string): Promise<UpstreamServerView | undefined> {
    const { rows } = await this.pg.query<UpstreamServerView>(`SELECT ${SERVER_COLUMNS} FROM upstream_servers WHERE tenant_id = $1 AND name = $2`, [tenantId, name]);
    return rows[0];
  }

  async createServer(
    tenantId: string,
    input: {
      name: string;
      transport: string;
      url: string | null;
      command: string | null;
      args: string[];
      credentialKind: string;
      secretsEncrypted: string | null;
      enabled: boolean;
      sandbox: boolean;
      readOnlyPaths: string[];
      protocolEra: string;
    },
  ): Promise<UpstreamServerView | undefined> {
    const { rows } = await this.pg.query<UpstreamServerView>(
      `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, command, args, credential_kind, secrets_encrypted, enabled, sandbox, read_only_paths, protocol_era, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now()) ON CONFLICT (tenant_id, name) DO NOTHING RETURNING ${SERVER_COLUMNS}`,
      [tenantId, input.name, input.transport, input.url, input.command, input.args, input.credentialKind, input.secretsEncrypted, input.enabled, input.sandbox, input.readOnlyPaths, input.protocolEra],
    );
    return rows[0];
  }

  async updateServer(
    tenantId: string,
    name: string,
    patch: {
      transport?: string | undefined;
      url?: string | null | undefined;
      command?: string | null | undefined;
      args?: string[] | undefined;
      credentialKind?: string | undefined;
      secretsEncrypted?: string | null | undefined;
      enabled?: boolean | undefined;
      sandbox?: boolean | undefined;
      readOnlyPaths?: string[] | undefined;
      protocolEra?: string | undefined;
    },
  ): Promise<UpstreamServerView | undefined> {
    const { rows } = await this.pg.query<UpstreamServerView>(
      `UPDATE upstream_servers SET
         transport = COALESCE($3::"UpstreamTransport", transport),
         url = CASE WHEN $4 THEN $5 ELSE url END,
         command = CASE WHEN $6 THEN $7 ELSE command END,
         args = COALESCE($8, args),
         credential_kind = COALESCE($9, credential_kind),
         secrets_encrypted = CASE WHEN $10 THEN $11 ELSE secrets_encrypted END,
         enabled = COALESCE($12, enabled),
         sandbox = COALESCE($13, sandbox),
         read_only_paths = COALESCE($14, read_only_paths),
         protocol_era = COALESCE($15, protocol_era),
         -- Any change may mean another upstream (or other credentials): the next connect detects its era again.
         protocol_version = NULL,
         protocol_detected_at = NULL,
         updated_at = now()
       WHERE tenant_id = $1 AND name = $2 RETURNING ${SERVER_COLUMNS}`,
      [
        tenantId,
        name,
        patch.transport ?? null,
        patch.url !== undefined,
        patch.url ?? null,
        patch.command !== undefined,
        patch.command ?? null,
        patch.args ?? null,
        patch.credentialKind ?? null,
        patch.secretsEncrypted !== undefined,
        patch.secretsEncrypted ?? null,
        patch.enabled ?? null,
        patch.sandbox ?? null,
        patch.readOnlyPaths ?? null,
        patch.protocolEra ?? null,
      ],
    );
    return rows[0];
  }

  async deleteServer(tenantId: string, name: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM upstream_servers WHERE tenant_id = $1 AND name = $2', [tenantId, name]);
    return result.rowCount === 1;
  }

  async listTools(serverId: string): Promise<ToolView[]> {
    const { rows } = await this.pg.query<ToolView>(
      `SELECT name, title, description, required_scopes AS "requiredScopes" FROM tools WHERE server_id = $1 ORDER BY name`,
      [serverId],
    );
    return rows;
  }

  /** Replaces a server's catalogue in one transaction: tools not listed go, listed ones are upserted. */
  async replaceTools(tenantId: string, serverId: string, tools: Array<{ name: string; title?: string | null | undefined; description?: string | null | undefined; requiredScopes: string[] }>): Promise<void> {
    await inTransaction(this.pg, async (client) => {
      await client.query('DELETE FROM tools WHERE server_id = $1 AND NOT (name = ANY($2::text[]))', [serverId, tools.map((tool) => tool.name)]);
      for (const tool of tools) {
        await client.query(
          `INSERT INTO tools (id, tenant_id, server_id, name, title, description, required_scopes, updated_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now())
           ON CONFLICT (server_id, name) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,
             required_scopes = EXCLUDED.required_scopes, updated_at = now()`,
          [tenantId, serverId, tool.name, tool.title ?? null, tool.description ?? null, tool.requiredScopes],
        );
      }
    });
  }

  async setToolScopes(serverId: string, name: string, requiredScopes: string[]): Promise<ToolView | undefined> {
    const { rows } = await this.pg.query<ToolView>(
      `UPDATE tools SET required_scopes = $3, updated_at = now() WHERE server_id = $1 AND name = $2
       RETURNING name, title, description, required_scopes AS "requiredScopes"`,
      [serverId, name, requiredScopes],
    );
    return rows[0];
  }
}
