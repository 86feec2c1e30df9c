import { z } from 'zod';

/** `refused`: the gateway did not let the action run (rate limit, scope, unknown tool, upstream unavailable); `details.reason` says why. */
export const auditOutcomeSchema = z.enum(['success', 'failure', 'denied', 'refused']);

/** One audit record, as enqueued by any service and written durably by a worker. */
export const auditEventSchema = z.object({
  /** Unique per event; the queue uses it as job id so a retried enqueue records once. */
  id: z.string(),
  tenant: z.string(),
  occurredAt: z.string(),
  actor: z.object({ subject: z.string().optional(), clientId: z.string().optional() }),
  action: z.string(),
  target: z.string().optional(),
  outcome: auditOutcomeSchema,
  requestId: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** Job name of a batch on `Queues.audit` (the writer tells the two shapes apart by their data, not the name). */
export const AUDIT_BATCH_JOB = 'audit.batch';
/** Most records one batch job carries. */
export const AUDIT_BATCH_MAX = 1000;

/**
 * Data of an `audit.batch` job: records a producer collected (e.g. the gateway, one job per ~100 calls).
 * Each record keeps its own id, so a batch run twice, or records in two batches, are written once.
 */
export const auditBatchSchema = z.object({ events: z.array(auditEventSchema).min(1).max(AUDIT_BATCH_MAX) });
export type AuditBatch = z.infer<typeof auditBatchSchema>;
