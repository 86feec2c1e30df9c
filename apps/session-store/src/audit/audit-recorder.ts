import { AUDIT_RECORD_JOB, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import type { QueueBackend } from '@airlock/queue';

/** Enqueues audit events; the event id is the job id, so recording one twice records it once. */
export class AuditRecorder {
  constructor(private readonly queues: QueueBackend) {}

  async record(events: readonly AuditEvent[]): Promise<void> {
    await Promise.all(events.map((event) => this.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, event, { jobId: jobIdOf(event.id) })));
  }
}

/** BullMQ refuses ':' in custom job ids. */
export const jobIdOf = (value: string) => value.replace(/:/g, '.');
