import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { inTransaction } from '../database/transaction.js';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeCursor, page, type Page } from './admin-paging.js';

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
  enabled: boolean;
  /** sha256 of the approved definition (pinned tool definitions). */
  approvedHash: string | null;
  /** The definition last seen upstream awaits approval. */
  changed: boolean;
}

/** A tool whose seen definition awaits approval (`tools` pin columns). */
export interface PendingToolRow {
  name: string;
  approvedHash: string | null;
  approvedDefinition: Record<string, unknown> | null;
  approvedAt: Date | null;
  seenHash: string;
  seenDefinition: Record<string, unknown>;
  seenAt: Date | null;
}

/** A pin awaiting approval: a seen definition that is not the approved one. */
const PENDING = 'seen_hash IS NOT NULL AND approved_hash IS DISTINCT FROM seen_hash';

const SERVER_COLUMNS = `id, name, transport, url, command, args, credential_kind AS "credentialKind", secrets_encrypted IS NOT NULL AS "hasSecrets",
  enabled, sandbox, COALESCE(read_only_paths, '{}') AS "readOnlyPaths", protocol_era AS "protocolEra", protocol_version AS "detectedProtocolVersion",
  protocol_detected_at AS "protocolDetectedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;
const TOOL_COLUMNS = `name, title, description, required_scopes AS "requiredScopes", enabled, approved_hash AS "approvedHash",
  (${PENDING}) AS "changed"`;

/**
 * Upstream servers and their tool catalogue (`upstream_servers`, `tools`) for the admin API. Lists are
 * keyset-paged on the server name (unique per tenant).
 */
@Injectable()
export class AdminServersRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<UpstreamServerView>> {
    const { rows } = await this.pg.query<UpstreamServerView>(
      `SELECT ${SERVER_COLUMNS} FROM upstream_servers WHERE tenant_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
      [tenantId, decodeCursor(cursor) ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.name);
  }

  async find(tenantId: string, name: string): Promise<UpstreamServerView | undefined> {
    const { rows } = await this.pg.query<UpstreamServerView>(`SELECT ${SERVER_COLUMNS} FROM upstream_servers WHERE tenant_id = $1 AND name = $2`, [tenantId, name]);
    return rows[0];
  }

  async create(
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

  async update(
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

  async delete(tenantId: string, name: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM upstream_servers WHERE tenant_id = $1 AND name = $2', [tenantId, name]);
    return result.rowCount === 1;
  }

  async listTools(serverId: string): Promise<ToolView[]> {
    const { rows } = await this.pg.query<ToolView>(
      `SELECT ${TOOL_COLUMNS} FROM tools WHERE server_id = $1 ORDER BY name`,
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

  /** The server's tools whose seen definition awaits approval, by name. */
  async pendingTools(serverId: string): Promise<PendingToolRow[]> {
    const { rows } = await this.pg.query<PendingToolRow>(
      `SELECT name, approved_hash AS "approvedHash", approved_definition AS "approvedDefinition", approved_at AS "approvedAt",
              seen_hash AS "seenHash", seen_definition AS "seenDefinition", seen_at AS "seenAt"
         FROM tools WHERE server_id = $1 AND ${PENDING} ORDER BY name`,
      [serverId],
    );
    return rows;
  }

  /**
   * Approves a tool's seen definition when it is still `hash` (a definition seen after the admin looked is
   * not approved unseen). The catalogue's title, description and input schema become the approved ones
   * (what consent screens show). Undefined when the tool's seen hash is not `hash`.
   */
  async approveTool(serverId: string, name: string, hash: string): Promise<ToolView | undefined> {
    const { rows } = await this.pg.query<ToolView>(
      `UPDATE tools SET approved_hash = seen_hash, approved_definition = seen_definition, approved_at = now(),
              title = seen_definition->>'title', description = seen_definition->>'description', input_schema = seen_definition->'inputSchema', updated_at = now()
        WHERE server_id = $1 AND name = $2 AND seen_hash = $3
       RETURNING ${TOOL_COLUMNS}`,
      [serverId, name, hash],
    );
    return rows[0];
  }

  async findTool(serverId: string, name: string): Promise<ToolView | undefined> {
    const { rows } = await this.pg.query<ToolView>(`SELECT ${TOOL_COLUMNS} FROM tools WHERE server_id = $1 AND name = $2`, [serverId, name]);
    return rows[0];
  }

  async updateTool(serverId: string, name: string, patch: { requiredScopes?: string[] | undefined; enabled?: boolean | undefined }): Promise<ToolView | undefined> {
    const { rows } = await this.pg.query<ToolView>(
      `UPDATE tools SET required_scopes = COALESCE($3, required_scopes), enabled = COALESCE($4, enabled), updated_at = now() WHERE server_id = $1 AND name = $2
       RETURNING ${TOOL_COLUMNS}`,
      [serverId, name, patch.requiredScopes ?? null, patch.enabled ?? null],
    );
    return rows[0];
  }
}
