/**
 * One audit event as the export ships it (format `airlock`): the `audit_events` row as the admin API
 * shows it, plus the tenant's slug and the feed position. Stable: fields are only ever added, and
 * `schema` names the version. Producers put only metadata in `details` (never secrets or raw tool
 * arguments unless a tenant opted in, redacted), so the record is exported as stored.
 */
export interface AuditExportRecord {
  schema: 'airlock.audit.v1';
  /** The event's own id (unique): a receiver deduplicates on it (delivery is at-least-once). */
  id: string;
  /** Position in the export feed, as a decimal string (a bigint): increases along the feed of one database. */
  seq: string;
  tenant: { id: string; slug: string };
  /** ISO 8601, UTC, millisecond precision. */
  occurredAt: string;
  actor: { subject?: string; clientId?: string };
  action: string;
  target: string | null;
  outcome: 'success' | 'failure' | 'denied' | 'refused';
  requestId: string | null;
  details: Record<string, unknown>;
}

/** A row of the feed query (audit-export-feed.repository.ts). Bigints arrive as strings from pg. */
export interface AuditFeedRow {
  txid: string;
  seq: string;
  id: string;
  tenantId: string;
  tenantSlug: string;
  occurredAt: Date;
  actorSubject: string | null;
  actorClientId: string | null;
  action: string;
  target: string | null;
  outcome: AuditExportRecord['outcome'];
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export function exportRecordOf(row: AuditFeedRow): AuditExportRecord {
  const actor: AuditExportRecord['actor'] = {};
  if (row.actorSubject) actor.subject = row.actorSubject;
  if (row.actorClientId) actor.clientId = row.actorClientId;
  return {
    schema: 'airlock.audit.v1',
    id: row.id,
    seq: row.seq,
    tenant: { id: row.tenantId, slug: row.tenantSlug },
    occurredAt: row.occurredAt.toISOString(),
    actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    requestId: row.requestId,
    details: row.details ?? {},
  };
}
