import type { Pool } from 'pg';
import { z } from 'zod';
import { AUDIT_BATCH_MAX, auditEventSchema } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import type { Job } from '@airlock/queue';
import { type TenantDirectory, UnknownTenantError } from '@airlock/platform';

/** A batch job's envelope; its records are checked one by one so a malformed one does not sink the rest. */
const batchEnvelopeSchema = z.object({ events: z.array(z.unknown()).min(1).max(AUDIT_BATCH_MAX) });

/**
 * One statement for any number of rows: the rows travel as one JSON array of arrays (a single parameter,
 * serialized natively, details embedded as objects rather than re-encoded strings), so the statement text
 * never changes and its plan is trivial. A VALUES list of 10 placeholders per row made Postgres parse and
 * plan a new statement of up to a thousand parameters for every INSERT and pg serialize each parameter on
 * its own.
 *
 * Unnamed on purpose: a named prepared statement is server session state, and pg remembers per connection
 * which names it prepared. Over the embedded database every connection shares ONE backend session, so a
 * new connection (pg's idle timeout recycles them, a restart opens new ones) prepared the name again and
 * got 42P05 "already exists" on every try, and the audit jobs were dropped. Transaction-pooling proxies
 * (PgBouncer) break named statements the same way. The cost, measured (one connection, Postgres 16 /
 * embedded): unnamed takes 1.2x / 1.1x the time of named per INSERT of 100 rows (the gateway's batches),
 * 1.4x / 1.55x for a single row (~70 / ~190 us more), a price paid only by rare single-record jobs.
 */
const INSERT_SQL = `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, request_id, details)
SELECT r->>0, (r->>1)::uuid, (r->>2)::timestamptz, r->>3, r->>4, r->>5, r->>6, (r->>7)::"AuditOutcome", r->>8, r->9
FROM jsonb_array_elements($1::jsonb) AS r
ON CONFLICT (id) DO NOTHING`;

/** [id, tenantId, occurredAt, subject, clientId, action, target, outcome, requestId, details]: the statement's order. */
type Row = [string, string, string, string | null, string | null, string, string | null, string, string | null, Record<string, unknown>];

/** A job's rows (or a chunk of them): settled together, with the error of each row that could not be written. */
interface PendingGroup {
  rows: Row[];
  settle: (errors: ReadonlyMap<number, unknown>) => void;
}

export interface AuditWriterOptions {
  /** Rows per INSERT at most (a job's rows may be split across INSERTs, jobs handled at once share them). */
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
 *
 * Cost per record is what matters (the gateway sends one per tool call): a record of the exact shape is
 * taken as is (anything else goes through the schema), a job's rows are queued as one group (one promise
 * per job, not per row) and written by one statement.
 */
export class AuditWriter {
  private pending: PendingGroup[] = [];
  private pendingRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxBatch: number;
  private readonly windowMs: number;

  constructor(
    private readonly pg: Pick<Pool, 'query'>,
    private readonly tenants: TenantDirectory,
    options: AuditWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.windowMs = options.windowMs ?? 5;
  }

  async handle(job: Job<unknown>): Promise<AuditJobOutcome> {
    if (!isBatch(job.data)) {
      const event = auditEventSchema.parse(job.data);
      const errors = await this.queue([rowOf(event, await this.tenants.idOf(event.tenant))]);
      if (errors.size > 0) throw errors.values().next().value;
      return { stored: 1, refused: [] };
    }
    const records: Array<AuditEvent | MalformedRecordError> = batchEnvelopeSchema.parse(job.data).events.map((raw) => {
      const plain = plainAuditEvent(raw);
      if (plain) return plain;
      const result = auditEventSchema.safeParse(raw);
      return result.success ? result.data : new MalformedRecordError(result.error);
    });
    const failures = new Map<number, unknown>();
    // Resolved once per tenant and batch (and cached across batches): usually one tenant, already known.
    const tenantIds = new Map<string, string>();
    const tenantErrors = new Map<string, unknown>();
    for (const record of records) {
      if (record instanceof MalformedRecordError || tenantIds.has(record.tenant) || tenantErrors.has(record.tenant)) continue;
      await this.tenants.idOf(record.tenant).then(
        (id) => void tenantIds.set(record.tenant, id),
        (error: unknown) => void tenantErrors.set(record.tenant, error),
      );
    }
    const rows: Row[] = [];
    const positions: number[] = [];
    records.forEach((record, index) => {
      if (record instanceof MalformedRecordError) return void failures.set(index, record);
      const tenantId = tenantIds.get(record.tenant);
      if (tenantId === undefined) return void failures.set(index, tenantErrors.get(record.tenant));
      rows.push(rowOf(record, tenantId));
      positions.push(index);
    });
    if (rows.length > 0) for (const [at, error] of await this.queue(rows)) failures.set(positions[at] as number, error);

    const refused: AuditRefusal[] = [];
    let retry: unknown;
    for (const [index, error] of [...failures].sort((a, b) => a[0] - b[0])) {
      const reason = permanentReason(error);
      if (reason === undefined) retry ??= error;
      else refused.push({ index, id: idOf((job.data as { events: unknown[] }).events[index]), reason });
    }
    // The rows already written are written again, as no-ops, by the retry.
    if (retry !== undefined) throw retry;
    return { stored: records.length - refused.length, refused };
  }

  /** Resolves once every row is in a committed INSERT or known not to be; maps row position to its error. */
  private async queue(rows: Row[]): Promise<Map<number, unknown>> {
    const errors = new Map<number, unknown>();
    const chunks: Array<Promise<void>> = [];
    for (let start = 0; start < rows.length; start += this.maxBatch) {
      const chunk = rows.length <= this.maxBatch ? rows : rows.slice(start, start + this.maxBatch);
      chunks.push(
        new Promise<void>((resolve) => {
          this.pending.push({
            rows: chunk,
            settle: (chunkErrors) => {
              for (const [at, error] of chunkErrors) errors.set(start + at, error);
              resolve();
            },
          });
        }),
      );
      this.pendingRows += chunk.length;
    }
    if (this.pendingRows >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    await Promise.all(chunks);
    return errors;
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const groups: PendingGroup[] = [];
    let count = 0;
    while (this.pending.length > 0 && (groups.length === 0 || count + (this.pending[0] as PendingGroup).rows.length <= this.maxBatch)) {
      const group = this.pending.shift() as PendingGroup;
      groups.push(group);
      count += group.rows.length;
    }
    this.pendingRows -= count;
    if (this.pending.length > 0) this.timer = setTimeout(() => void this.flush(), 0);
    if (groups.length === 0) return;
    const none = new Map<number, unknown>();
    try {
      await this.insert(groups.length === 1 ? (groups[0] as PendingGroup).rows : groups.flatMap((group) => group.rows));
      for (const group of groups) group.settle(none);
    } catch (error) {
      if (count === 1 || permanentReason(error) === undefined) {
        // Postgres unreachable (or one row): every row fails alike, their jobs are retried.
        for (const group of groups) group.settle(new Map(group.rows.map((_, at) => [at, error])));
        return;
      }
      // One bad row must not fail (and retry forever) the rows that happened to share its INSERT.
      await Promise.all(
        groups.map(async (group) => {
          const errors = new Map<number, unknown>();
          await Promise.all(group.rows.map((row, at) => this.insert([row]).catch((rowError: unknown) => void errors.set(at, rowError))));
          group.settle(errors);
        }),
      );
    }
  }

  private async insert(rows: Row[]): Promise<void> {
    await this.pg.query(INSERT_SQL, [JSON.stringify(rows)]);
  }
}

const rowOf = (event: AuditEvent, tenantId: string): Row => [
  event.id,
  tenantId,
  event.occurredAt,
  event.actor.subject ?? null,
  event.actor.clientId ?? null,
  event.action,
  event.target ?? null,
  event.outcome,
  event.requestId ?? null,
  event.details,
];

class MalformedRecordError extends Error {
  constructor(readonly issues: z.ZodError) {
    super('malformed audit record');
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string';

/**
 * The record itself when it has exactly the types `auditEventSchema` asks for (what every producer sends),
 * else undefined and the schema decides (defaults, precise errors). Accepts a subset of what the schema
 * does, so the schema stays the one definition; it only spares a parse per record (~6 us, the writer's
 * largest cost after I/O). Extra keys are ignored, as the schema strips them.
 */
function plainAuditEvent(raw: unknown): AuditEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  const actor = e['actor'] as Record<string, unknown> | null | undefined;
  const details = e['details'];
  const ok =
    isString(e['id']) &&
    isString(e['tenant']) &&
    isString(e['occurredAt']) &&
    isString(e['action']) &&
    (e['outcome'] === 'success' || e['outcome'] === 'failure' || e['outcome'] === 'denied' || e['outcome'] === 'refused') &&
    isOptionalString(e['target']) &&
    isOptionalString(e['requestId']) &&
    typeof actor === 'object' &&
    actor !== null &&
    Object.getPrototypeOf(actor) === Object.prototype &&
    isOptionalString(actor['subject']) &&
    isOptionalString(actor['clientId']) &&
    typeof details === 'object' &&
    details !== null &&
    Object.getPrototypeOf(details) === Object.prototype;
  return ok ? (raw as AuditEvent) : undefined;
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
