import { Inject, Injectable } from '@nestjs/common';
import type { Infra } from '@airlock/platform';
import { INFRA } from '../oidc/ports.js';
import { AdminError } from './admin.errors.js';
import { decodeCursor, page, type Page } from './admin.repository.js';

// The session store's durable rows (`sessions`), read by the admin API. The session store owns them; the
// auth server only reads, and ends sessions through the session store's API (never by writing here).

export interface SessionRow {
  id: string;
  subject: string;
  clientId: string;
  upstreams: Array<{ server?: unknown }>;
  protocolVersion: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface SessionFilter {
  client?: string | undefined;
  subject?: string | undefined;
}

const SESSION_COLUMNS = `id, subject, client_id AS "clientId", upstreams, protocol_version AS "protocolVersion",
  created_at AS "createdAt", last_seen_at AS "lastSeenAt", expires_at AS "expiresAt"`;

/** The keyset of a session row: (created_at, id), unique and fixed for the row's life, so pages never skip or repeat. */
const keyOf = (row: SessionRow) => `${row.createdAt.toISOString()} ${row.id}`;

function decodeSessionCursor(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  const value = decodeCursor(cursor);
  if (value === undefined) return undefined;
  const [createdAt, id, ...rest] = value.split(' ');
  if (!createdAt || !id || rest.length > 0 || Number.isNaN(Date.parse(createdAt))) throw new AdminError('invalid_request', 'cursor: not a cursor this API returned');
  return { createdAt, id };
}

@Injectable()
export class AdminSessionsRepository {
  constructor(@Inject(INFRA) private readonly infra: Infra) {}

  /** Active MCP sessions not past their lifetime, oldest first. */
  async listActive(tenantId: string, filter: SessionFilter, limit: number, cursor: string | undefined): Promise<Page<SessionRow>> {
    const after = decodeSessionCursor(cursor);
    const { rows } = await this.infra.pg.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE tenant_id = $1 AND kind = 'mcp' AND state = 'active' AND expires_at > now()
         AND ($2::text IS NULL OR client_id = $2) AND ($3::text IS NULL OR subject = $3)
         AND ($4::timestamptz IS NULL OR (created_at, id) > ($4::timestamptz, $5::text))
       ORDER BY created_at, id LIMIT $6`,
      [tenantId, filter.client ?? null, filter.subject ?? null, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    return page(rows, limit, keyOf);
  }

  /** Ids of the tenant's active MCP sessions matching the filter (for a revoke on both client and subject). */
  async activeIds(tenantId: string, filter: SessionFilter): Promise<string[]> {
    const { rows } = await this.infra.pg.query<{ id: string }>(
      `SELECT id FROM sessions WHERE tenant_id = $1 AND kind = 'mcp' AND state = 'active'
         AND ($2::text IS NULL OR client_id = $2) AND ($3::text IS NULL OR subject = $3)`,
      [tenantId, filter.client ?? null, filter.subject ?? null],
    );
    return rows.map((row) => row.id);
  }

  /** True when the session is one of the tenant's MCP sessions (whatever its state). */
  async isMcpSessionOf(tenantId: string, id: string): Promise<boolean> {
    const { rows } = await this.infra.pg.query(`SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2 AND kind = 'mcp'`, [tenantId, id]);
    return rows.length > 0;
  }
}
