import type { Pool } from 'pg';
import { z } from 'zod';
import { AUDIT_BATCH_MAX, auditBatchSchema, auditEventSchema } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import type { Job } from '@airlock/queue';
import { UnknownTenantError } from '../tenants/tenant-directory.js';
import type { TenantDirectory } from '../tenants/tenant-directory.js';

const COLUMNS = 10;

/** A batch job's envelope; its records are checked one by one so a malformed one does not sink the rest. */
const batchEnvelopeSchema = auditBatchSchema.extend({ events: z.array(z.unknown()).min(1).max(AUDIT_BATCH_MAX) });

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

/** A record of a batch that can never be written (retrying would not help): it is left out, the rest written. */
export interface AuditRefusal {
  /** Position in the batch. */
  index: number;
  id: string | undefined;
  reason: string;
}

export interface AuditJobOutcome {
  /** Records now in `audit_events` (written by this run or an earlier one). */
  stored: number;
  refused: AuditRefusal[];
}

/**
 * Writes audit events from `Queues.audit` durably, for every service. A job carries one `AuditEvent` (the
 * original shape, still what most producers send) or an `AuditBatch` (`{ events }`, the gateway's).
 * Idempotent: the event id is the primary key (ON CONFLICT DO NOTHING), so a job run twice, or a record
 * sent in two jobs, records once. Rows of jobs handled at the same time share multi-row INSERTs; a job
 * completes only once its rows are written.
 *
 * Failures: anything that may pass (Postgres unreachable) fails the job, which is retried whole. A single
 * record that is malformed, of an unknown tenant or refused by Postgres fails its job too (as before
 * batches). In a batch such a record is refused: the others are written, the job completes and the
 * refusals are returned for the log, since retrying a batch cannot fix a record.
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

  async handle(job: Job<unknown>): Promise<AuditJobOutcome> {
    if (!isBatch(job.data)) {
      await this.write(auditEventSchema.parse(job.data));
      return { stored: 1, refused: [] };
    }
    const { events } = batchEnvelopeSchema.parse(job.data);
    const parsed = events.map((raw) => auditEventSchema.safeParse(raw));
    const tenantIds = new Map<string, Promise<string>>();
    for (const result of parsed) if (result.success && !tenantIds.has(result.data.tenant)) tenantIds.set(result.data.tenant, this.tenants.idOf(result.data.tenant));
    // Tenants first, once each: then the batch's rows are queued in one go and share INSERTs.
    await Promise.allSettled(tenantIds.values());
    const settled = await Promise.allSettled(
      parsed.map(async (result) => {
        if (!result.success) throw new MalformedRecordError(result.error);
        const tenantId = await (tenantIds.get(result.data.tenant) as Promise<string>);
        return this.queueRow(rowOf(result.data, tenantId));
      }),
    );
    const refused: AuditRefusal[] = [];
    let retry: unknown;
    settled.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      const reason = permanentReason(result.reason);
      if (reason === undefined) retry ??= result.reason;
      else refused.push({ index, id: idOf(events[index]), reason });
    });
    // The rows already written are written again, as no-ops, by the retry.
    if (retry !== undefined) throw retry;
    return { stored: events.length - refused.length, refused };
  }

  private async write(event: AuditEvent): Promise<void> {
    return this.queueRow(rowOf(event, await this.tenants.idOf(event.tenant)));
  }

  /** Resolves once the row is in a committed INSERT. */
  private queueRow(values: unknown[]): Promise<void> {
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

const rowOf = (event: AuditEvent, tenantId: string): unknown[] => [
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

class MalformedRecordError extends Error {
  constructor(readonly issues: z.ZodError) {
    super('malformed audit record');
  }
}

const isBatch = (data: unknown): boolean => typeof data === 'object' && data !== null && 'events' in data;

const idOf = (raw: unknown): string | undefined => {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
};

/** Why a record can never be written, or undefined when its failure may pass (then the job is retried). */
function permanentReason(error: unknown): string | undefined {
  if (error instanceof MalformedRecordError) {
    return `malformed: ${error.issues.issues.map((issue) => `${issue.path.join('.') || '(record)'} ${issue.message}`).join('; ')}`;
  }
  if (error instanceof UnknownTenantError) return `no tenant with slug ${error.slug}`;
  // SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the row itself is refused.
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'))) return `refused by Postgres (SQLSTATE ${code})`;
  return undefined;
}
