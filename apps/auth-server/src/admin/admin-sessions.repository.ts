import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeTimeIdCursor, page, timeIdKey, type Page } from './admin-paging.js';

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

/** How a list is ordered: by start or by last activity (`-`: newest first). */
export type SessionSort = 'created' | '-created' | 'last_seen' | '-last_seen';

/**
 * Each sort's keyset: (created_at, id), unique and fixed for the row's life, so pages never skip or repeat;
 * or (last_seen_at, id), which moves when a session is active (a session touched between two pages may
 * show again or not at all). Both are index range scans (sessions_tenant_id_kind_state_*_id_idx).
 */
const SORTS: Record<SessionSort, { column: 'created_at' | 'last_seen_at'; descending: boolean; key: (row: SessionRow) => string }> = {
  created: { column: 'created_at', descending: false, key: (row) => timeIdKey(row.createdAt, row.id) },
  '-created': { column: 'created_at', descending: true, key: (row) => timeIdKey(row.createdAt, row.id) },
  last_seen: { column: 'last_seen_at', descending: false, key: (row) => timeIdKey(row.lastSeenAt, row.id) },
  '-last_seen': { column: 'last_seen_at', descending: true, key: (row) => timeIdKey(row.lastSeenAt, row.id) },
};

/** MCP sessions, or browser sign-ins (`login`). */
export type SessionKind = 'mcp' | 'login';

@Injectable()
export class AdminSessionsRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  /** Active sessions of a kind not past their lifetime, in `sort` order (default: oldest first). */
  async listActive(tenantId: string, filter: SessionFilter, limit: number, cursor: string | undefined, kind: SessionKind = 'mcp', sort: SessionSort = 'created'): Promise<Page<SessionRow>> {
    const after = decodeTimeIdCursor(cursor);
    // Column and direction come from the fixed table above, never from the request.
    const { column, descending, key } = SORTS[sort];
    const direction = descending ? 'DESC' : 'ASC';
    const { rows } = await this.pg.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE tenant_id = $1 AND kind = $7::"SessionKind" AND state = 'active' AND expires_at > now()
         AND ($2::text IS NULL OR client_id = $2) AND ($3::text IS NULL OR subject = $3)
         AND ($4::timestamptz IS NULL OR (${column}, id) ${descending ? '<' : '>'} ($4::timestamptz, $5::text))
       ORDER BY ${column} ${direction}, id ${direction} LIMIT $6`,
      [tenantId, filter.client ?? null, filter.subject ?? null, after?.at ?? null, after?.id ?? null, limit + 1, kind],
    );
    return page(rows, limit, key);
  }

  /** Which of these ids are the tenant's active MCP sessions (the others are not live here: another tenant's, ended, unknown). */
  async activeOf(tenantId: string, ids: string[]): Promise<string[]> {
    const { rows } = await this.pg.query<{ id: string }>(`SELECT id FROM sessions WHERE tenant_id = $1 AND kind = 'mcp' AND state = 'active' AND id = ANY($2::text[])`, [tenantId, ids]);
    return rows.map((row) => row.id);
  }

  /** Ids of the tenant's active MCP sessions matching the filter (for a revoke on both client and subject). */
  async activeIds(tenantId: string, filter: SessionFilter): Promise<string[]> {
    const { rows } = await this.pg.query<{ id: string }>(
      `SELECT id FROM sessions WHERE tenant_id = $1 AND kind = 'mcp' AND state = 'active'
         AND ($2::text IS NULL OR client_id = $2) AND ($3::text IS NULL OR subject = $3)`,
      [tenantId, filter.client ?? null, filter.subject ?? null],
    );
    return rows.map((row) => row.id);
  }

  /** The subject of one of the tenant's sessions of this kind (whatever its state); undefined: no such session. */
  async subjectOf(tenantId: string, id: string, kind: SessionKind): Promise<string | undefined> {
    const { rows } = await this.pg.query<{ subject: string }>(`SELECT subject FROM sessions WHERE tenant_id = $1 AND id = $2 AND kind = $3::"SessionKind"`, [tenantId, id, kind]);
    return rows[0]?.subject;
  }
}
