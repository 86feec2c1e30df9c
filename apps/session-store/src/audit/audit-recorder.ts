import { AUDIT_BATCH_JOB, AUDIT_BATCH_MAX, Queues } from '@airlock/contracts';
import type { AuditBatch, AuditEvent } from '@airlock/contracts';
import type { QueueBackend } from '@airlock/queue';

/**
 * Enqueues audit events, one batch job per call (a revocation of many sessions is one job, not one per
 * session). Jobs get no custom id: the event id is the row's primary key, so recording one twice records it once.
 */
export class AuditRecorder {
  constructor(private readonly queues: QueueBackend) {}

  async record(events: readonly AuditEvent[]): Promise<void> {
    const batches: AuditBatch[] = [];
    for (let start = 0; start < events.length; start += AUDIT_BATCH_MAX) batches.push({ events: events.slice(start, start + AUDIT_BATCH_MAX) });
    await Promise.all(batches.map((batch) => this.queues.enqueue(Queues.audit, AUDIT_BATCH_JOB, batch)));
  }
}

/** BullMQ refuses ':' in custom job ids. */
export const jobIdOf = (value: string) => value.replace(/:/g, '.');
