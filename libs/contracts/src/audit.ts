import { z } from 'zod';

export const auditOutcomeSchema = z.enum(['success', 'failure', 'denied']);

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
