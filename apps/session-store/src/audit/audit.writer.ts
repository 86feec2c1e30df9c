import type { Pool } from 'pg';
import { auditEventSchema } from '@airlock/contracts';
import type { Job } from '@airlock/queue';
import type { TenantDirectory } from '../tenants/tenant-directory.js';

/**
 * Writes audit events from `Queues.audit` durably, for every service. Idempotent: the event id is the
 * primary key, so a job run twice (a worker killed after the insert) records once.
 */
export class AuditWriter {
  constructor(
    private readonly pg: Pool,
    private readonly tenants: TenantDirectory,
  ) {}

  async handle(job: Job<unknown>): Promise<void> {
    const event = auditEventSchema.parse(job.data);
    const tenantId = await this.tenants.idOf(event.tenant);
    await this.pg.query(
      `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
      [
        event.id,
        tenantId,
        event.occurredAt,
        event.actor.subject ?? null,
        event.actor.clientId ?? null,
        event.action,
        event.target ?? null,
        event.outcome,
        event.requestId ?? null,
        JSON.stringify(event.details),
      ],
    );
  }
}
