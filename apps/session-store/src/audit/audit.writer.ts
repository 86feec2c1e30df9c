import type { Pool } from 'pg';
import { auditEventSchema } from '@airlock/contracts';
import type { Job } from '@airlock/queue';
import type { TenantDirectory } from '../tenants/tenant-directory.js';

const COLUMNS = 10;

interface PendingRow {
  values: unknown[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface AuditWriterOptions {
  /** Rows per INSERT at most. */
  maxBatch?: number;
  /** How long a row waits for others to share its INSERT (the worker runs many jobs at once). */
  windowMs?: number;
}

/**
 * Writes audit events from `Queues.audit` durably, for every service. Idempotent: the event id is the
 * primary key, so a job run twice (a worker killed after the insert) records once. Jobs handled at the
 * same time share one multi-row INSERT; each job completes only once its row is written.
 */
export class AuditWriter {
  private pending: PendingRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly maxBatch: number;
  private readonly windowMs: number;

  constructor(
    private readonly pg: Pool,
    private readonly tenants: TenantDirectory,
    options: AuditWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.windowMs = options.windowMs ?? 5;
  }

  async handle(job: Job<unknown>): Promise<void> {
    const event = auditEventSchema.parse(job.data);
    const tenantId = await this.tenants.idOf(event.tenant);
    const values = [
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
    ];
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ values, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) this.timer = setTimeout(() => void this.flush(), 0);
    if (batch.length === 0) return;
    try {
      await this.insert(batch);
      for (const row of batch) row.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad row must not fail (and retry forever) the rows that happened to share its INSERT.
      await Promise.all(
        batch.map((row) =>
          this.insert([row]).then(
            () => row.resolve(),
            (rowError: unknown) => row.reject(rowError),
          ),
        ),
      );
    }
  }

  private async insert(rows: PendingRow[]): Promise<void> {
    const tuples = rows.map((_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(', ')})`);
    await this.pg.query(
      `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, request_id, details)
       VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
      rows.flatMap((row) => row.values),
    );
  }
}
