import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { AdminError } from './admin.errors.js';
import { decodeCursor, page, type Page } from './admin-paging.js';

// The audit log (`audit_events`, written by the session store's audit worker), read by the admin API.
// Producers put only metadata in a record (who, what, on what, the outcome, ids and counts), never a
// secret or a tool's arguments, so a record is shown as stored.

export interface AuditRecordView {
  id: string;
  occurredAt: string;
  actor: { subject?: string; clientId?: string };
  action: string;
  target: string | null;
  outcome: string;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  from?: string | undefined;
  to?: string | undefined;
  /** The actor: its subject or its client id. */
  actor?: string | undefined;
  /** The subject acted as or acted on (a session's user). */
  subject?: string | undefined;
  /** The client that acted or was acted on. */
  client?: string | undefined;
  action?: string | undefined;
  outcome?: string | undefined;
}

interface AuditRow {
  id: string;
  occurredAt: Date;
  actorSubject: string | null;
  actorClientId: string | null;
  action: string;
  target: string | null;
  outcome: string;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** Newest first on (occurred_at, id): unique, fixed per record, so paging neither skips nor repeats while records arrive. */
const keyOf = (row: AuditRecordView) => `${row.occurredAt} ${row.id}`;

function decodeAuditCursor(cursor: string | undefined): { occurredAt: string; id: string } | undefined {
  const value = decodeCursor(cursor);
  if (value === undefined) return undefined;
  const space = value.indexOf(' ');
  const occurredAt = value.slice(0, space);
  const id = value.slice(space + 1);
  if (space <= 0 || !id || Number.isNaN(Date.parse(occurredAt))) throw new AdminError('invalid_request', 'cursor: not a cursor this API returned');
  return { occurredAt, id };
}

function view(row: AuditRow): AuditRecordView {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    actor: { ...(row.actorSubject ? { subject: row.actorSubject } : {}), ...(row.actorClientId ? { clientId: row.actorClientId } : {}) },
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    requestId: row.requestId,
    details: row.details,
  };
}

@Injectable()
export class AdminAuditLogRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, filter: AuditFilter, limit: number, cursor: string | undefined): Promise<Page<AuditRecordView>> {
    const before = decodeAuditCursor(cursor);
    const { rows } = await this.pg.query<AuditRow>(
      `SELECT id, occurred_at AS "occurredAt", actor_subject AS "actorSubject", actor_client_id AS "actorClientId", action, target,
         outcome, request_id AS "requestId", details
       FROM audit_events
       WHERE tenant_id = $1
         AND ($2::timestamptz IS NULL OR occurred_at >= $2) AND ($3::timestamptz IS NULL OR occurred_at < $3)
         AND ($4::text IS NULL OR actor_subject = $4 OR actor_client_id = $4)
         AND ($5::text IS NULL OR actor_subject = $5 OR details->>'subject' = $5)
         AND ($6::text IS NULL OR actor_client_id = $6 OR details->>'clientId' = $6)
         AND ($7::text IS NULL OR action = $7) AND ($8::text IS NULL OR outcome::text = $8)
         AND ($9::timestamptz IS NULL OR (occurred_at, id) < ($9::timestamptz, $10::text))
       ORDER BY occurred_at DESC, id DESC LIMIT $11`,
      [
        tenantId,
        filter.from ?? null,
        filter.to ?? null,
        filter.actor ?? null,
        filter.subject ?? null,
        filter.client ?? null,
        filter.action ?? null,
        filter.outcome ?? null,
        before?.occurredAt ?? null,
        before?.id ?? null,
        limit + 1,
      ],
    );
    return page(rows.map(view), limit, keyOf);
  }
}
