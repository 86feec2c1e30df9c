import { AUDIT_BATCH_JOB, Queues } from '@airlock/contracts';
import type { AuditBatch, AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';

export interface AuditBatcherOptions {
  /** Records per job at most: a full batch is enqueued at once. Default 100. */
  maxRecords?: number;
  /** How long a batch's first record waits for others. Default 50 ms. */
  flushMs?: number;
  /** After the queue refused a batch (Redis down), how long until the records are tried again. Default 1 s. */
  retryMs?: number;
  /** Records kept while the queue is unreachable; beyond it the excess is dropped (logged). Default 10,000. */
  maxHeld?: number;
}

/**
 * The gateway's audit records go to `Queues.audit` in batches (one `audit.batch` job per `maxRecords`
 * records or `flushMs`), not one job per call: one Redis round trip here, and one job for the session
 * store's worker, per batch. Jobs get no custom id: idempotence is per record (its id is the row's
 * primary key), so a batch enqueued twice, or run twice, still writes each row once.
 *
 * Off the request path: `record` never waits and never throws. `close` (graceful stop) enqueues whatever
 * is held and waits for it; a record arriving after close is enqueued on its own at once.
 */
export class AuditBatcher {
  private held: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** The queue refused a batch: records wait for the retry timer instead of going out as they fill up. */
  private retrying = false;
  private readonly maxRecords: number;
  private readonly flushMs: number;
  private readonly retryMs: number;
  private readonly maxHeld: number;

  constructor(
    private readonly queues: QueueBackend,
    private readonly logger: Logger,
    options: AuditBatcherOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 100;
    this.flushMs = options.flushMs ?? 50;
    this.retryMs = options.retryMs ?? 1_000;
    this.maxHeld = options.maxHeld ?? 10_000;
  }

  record(event: AuditEvent): void {
    this.held.push(event);
    if (this.closed || (!this.retrying && this.held.length >= this.maxRecords)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Records held and not yet handed to the queue. */
  get size(): number {
    return this.held.length;
  }

  /** Hands every held record to the queue (one job per `maxRecords`) and waits for the enqueues. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.retrying = false;
    while (this.held.length > 0) this.send(this.held.splice(0, this.maxRecords));
  }

  private send(events: AuditEvent[]): void {
    const batch: AuditBatch = { events };
    const sending = this.queues.enqueue(Queues.audit, AUDIT_BATCH_JOB, batch).then(
      () => undefined,
      (error: unknown) => this.refused(events, error),
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Keeps a refused batch for the next try (bounded), except once closed: nothing would try again. */
  private refused(events: AuditEvent[], error: unknown): void {
    if (this.closed) {
      this.logger.error({ err: error, lost: events.length }, 'audit records could not be enqueued at shutdown');
      return;
    }
    this.held.unshift(...events);
    const dropped = this.held.length - this.maxHeld;
    if (dropped > 0) this.held.splice(0, dropped);
    this.logger.error({ err: error, held: this.held.length, dropped: Math.max(0, dropped) }, 'audit enqueue failed; records held for a retry');
    if (this.retrying) return;
    this.retrying = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.retryMs);
  }
}
