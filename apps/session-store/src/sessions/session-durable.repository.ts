import type { Pool } from 'pg';
import type { Session } from '@airlock/contracts';
import type { TenantDirectory } from '@airlock/platform';

interface SessionRow {
  id: string;
  tenant: string;
  kind: Session['kind'];
  subject: string;
  client_id: string;
  grant_id: string | null;
  protocol_version: string | null;
  client_info: Record<string, unknown> | null;
  capabilities: Record<string, unknown> | null;
  upstreams: Session['upstreams'];
  created_at: Date;
  last_seen_at: Date;
  idle_timeout_seconds: number;
  expires_at: Date;
  state: Session['state'];
  ended_reason: string | null;
  ended_at: Date | null;
}

export interface ListFilter {
  subject?: string | undefined;
  clientId?: string | undefined;
  grantId?: string | undefined;
  state?: Session['state'] | undefined;
}

export interface ExpiryCandidate {
  id: string;
  tenant: string;
  subject: string;
  clientId: string;
  grantId: string | undefined;
  expiresAt: Date;
}

const COLUMNS = `s.id, t.slug AS tenant, s.kind, s.subject, s.client_id, s.grant_id, s.protocol_version, s.client_info, s.capabilities,
  s.upstreams, s.created_at, s.last_seen_at, s.idle_timeout_seconds, s.expires_at, s.state, s.ended_reason, s.ended_at`;

/**
 * The durable record and history of sessions in Postgres. Only job workers write here (never the request
 * path), and every write is idempotent: an ended session is never reopened, last-seen only moves forward.
 */
export class SessionDurableRepository {
  constructor(
    private readonly pg: Pool,
    private readonly tenants: TenantDirectory,
  ) {}

  /**
   * Inserts or updates from a snapshot. A terminal state is never overwritten, so a late or repeated
   * create job after a revocation has no effect, and a revocation that lands before its create job still
   * leaves a complete row. Snapshot jobs run concurrently and may be retried, so an older version never
   * overwrites a newer one (a late create job cannot undo the upstream bindings a later update recorded).
   */
  async upsert(session: Session, version: number): Promise<void> {
    const tenantId = await this.tenants.idOf(session.tenant);
    await this.pg.query(
      `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, grant_id, protocol_version, client_info, capabilities, upstreams,
         created_at, last_seen_at, idle_timeout_seconds, expires_at, state, ended_reason, ended_at, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
       ON CONFLICT (id) DO UPDATE SET
         protocol_version = EXCLUDED.protocol_version, client_info = EXCLUDED.client_info, capabilities = EXCLUDED.capabilities,
         upstreams = EXCLUDED.upstreams, last_seen_at = GREATEST(sessions.last_seen_at, EXCLUDED.last_seen_at),
         state = EXCLUDED.state, ended_reason = EXCLUDED.ended_reason, ended_at = EXCLUDED.ended_at, version = EXCLUDED.version
       WHERE sessions.state = 'active' AND sessions.tenant_id = EXCLUDED.tenant_id AND sessions.version < EXCLUDED.version`,
      [
        session.id,
        tenantId,
        session.kind,
        session.subject,
        session.clientId,
        session.grantId ?? null,
        session.protocolVersion ?? null,
        session.clientInfo === undefined ? null : JSON.stringify(session.clientInfo),
        session.capabilities === undefined ? null : JSON.stringify(session.capabilities),
        JSON.stringify(session.upstreams),
        session.createdAt,
        session.lastSeenAt,
        session.idleTimeoutSeconds,
        session.expiresAt,
        session.state,
        session.endedReason ?? null,
        session.endedAt ?? null,
        version,
      ],
    );
  }

  /** Moves last-seen forward for many sessions in one statement. */
  async recordLastSeen(entries: ReadonlyArray<{ id: string; lastSeenAt: string }>): Promise<void> {
    if (entries.length === 0) return;
    await this.pg.query(
      `UPDATE sessions AS s SET last_seen_at = GREATEST(s.last_seen_at, v.seen)
       FROM unnest($1::text[], $2::timestamptz[]) AS v(id, seen)
       WHERE s.id = v.id AND s.state = 'active'`,
      [entries.map((e) => e.id), entries.map((e) => e.lastSeenAt)],
    );
  }

  /** Ends every still-active durable session of a client (some may have no live record any more). */
  async endByClient(tenant: string, clientId: string, reason: string, endedAt: string): Promise<Array<Pick<Session, 'id' | 'subject' | 'clientId' | 'grantId'>>> {
    const tenantId = await this.tenants.idOf(tenant);
    const { rows } = await this.pg.query<{ id: string; subject: string; client_id: string; grant_id: string | null }>(
      `UPDATE sessions SET state = 'revoked', ended_reason = $3, ended_at = $4
       WHERE tenant_id = $1 AND client_id = $2 AND state = 'active' RETURNING id, subject, client_id, grant_id`,
      [tenantId, clientId, reason, endedAt],
    );
    return rows.map((row) => ({ id: row.id, subject: row.subject, clientId: row.client_id, ...(row.grant_id ? { grantId: row.grant_id } : {}) }));
  }

  /** Ends every still-active durable session of a grant (some may have no live record any more). */
  async endByGrant(tenant: string, grantId: string, reason: string, endedAt: string): Promise<Array<Pick<Session, 'id' | 'subject' | 'clientId'>>> {
    const tenantId = await this.tenants.idOf(tenant);
    const { rows } = await this.pg.query<{ id: string; subject: string; client_id: string }>(
      `UPDATE sessions SET state = 'revoked', ended_reason = $3, ended_at = $4
       WHERE tenant_id = $1 AND grant_id = $2 AND state = 'active' RETURNING id, subject, client_id`,
      [tenantId, grantId, reason, endedAt],
    );
    return rows.map((row) => ({ id: row.id, subject: row.subject, clientId: row.client_id }));
  }

  async get(tenant: string, id: string): Promise<Session | null> {
    const { rows } = await this.pg.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = $1 AND s.id = $2`, [
      tenant,
      id,
    ]);
    return rows[0] ? toSession(rows[0]) : null;
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(tenant: string, filter: ListFilter, page: { limit: number; after?: { createdAt: string; id: string } | undefined }): Promise<Session[]> {
    const where = ['t.slug = $1'];
    const params: unknown[] = [tenant];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.subject) add('s.subject = ?', filter.subject);
    if (filter.clientId) add('s.client_id = ?', filter.clientId);
    if (filter.grantId) add('s.grant_id = ?', filter.grantId);
    if (filter.state) add('s.state = ?::"SessionState"', filter.state);
    if (page.after) {
      params.push(page.after.createdAt, page.after.id);
      where.push(`(s.created_at, s.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(page.limit);
    const { rows } = await this.pg.query<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions s JOIN tenants t ON t.id = s.tenant_id
       WHERE ${where.join(' AND ')} ORDER BY s.created_at DESC, s.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toSession);
  }

  /** Active rows past their absolute lifetime or apparently idle (the live record decides). */
  async expiryCandidates(now: Date, limit: number): Promise<ExpiryCandidate[]> {
    const { rows } = await this.pg.query<{ id: string; tenant: string; subject: string; client_id: string; grant_id: string | null; expires_at: Date }>(
      `SELECT s.id, t.slug AS tenant, s.subject, s.client_id, s.grant_id, s.expires_at FROM sessions s JOIN tenants t ON t.id = s.tenant_id
       WHERE s.state = 'active' AND (s.expires_at <= $1 OR s.last_seen_at + s.idle_timeout_seconds * interval '1 second' <= $1)
       ORDER BY s.expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      tenant: row.tenant,
      subject: row.subject,
      clientId: row.client_id,
      grantId: row.grant_id ?? undefined,
      expiresAt: row.expires_at,
    }));
  }

  /** Marks sessions expired; returns those that were still active (so each is announced once). */
  async markExpired(ids: readonly string[], reasons: ReadonlyMap<string, string>, endedAt: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pg.query<{ id: string }>(
      `UPDATE sessions AS s SET state = 'expired', ended_reason = v.reason, ended_at = $3
       FROM unnest($1::text[], $2::text[]) AS v(id, reason)
       WHERE s.id = v.id AND s.state = 'active' RETURNING s.id`,
      [ids, ids.map((id) => reasons.get(id) ?? 'expired'), endedAt],
    );
    return rows.map((row) => row.id);
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    tenant: row.tenant,
    kind: row.kind,
    subject: row.subject,
    clientId: row.client_id,
    ...(row.grant_id ? { grantId: row.grant_id } : {}),
    ...(row.protocol_version ? { protocolVersion: row.protocol_version } : {}),
    ...(row.client_info ? { clientInfo: row.client_info } : {}),
    ...(row.capabilities ? { capabilities: row.capabilities } : {}),
    upstreams: row.upstreams,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    idleTimeoutSeconds: row.idle_timeout_seconds,
    expiresAt: row.expires_at.toISOString(),
    state: row.state,
    ...(row.ended_reason ? { endedReason: row.ended_reason } : {}),
    ...(row.ended_at ? { endedAt: row.ended_at.toISOString() } : {}),
  };
}
