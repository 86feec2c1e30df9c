import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_RECORD_JOB, Queues, type AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import { LOGGER, QUEUES } from '../infra/infra.tokens.js';
import type { AdminCaller } from './admin-caller.js';

export interface AdminAuditEntry {
  caller: AdminCaller;
  tenant: string;
  action: string;
  target: string | undefined;
  outcome: AuditEvent['outcome'];
  details: Record<string, unknown>;
}

/**
 * Records admin actions through `Queues.audit` (written durably by the audit worker, once per event id).
 * The actor's role and break-glass flag go in `details.actor` (the record's own actor is subject and client).
 */
@Injectable()
export class AdminAudit {
  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record({ caller, tenant, action, target, outcome, details }: AdminAuditEntry): Promise<void> {
    const event: AuditEvent = {
      id: randomUUID(),
      tenant,
      occurredAt: new Date().toISOString(),
      actor: { clientId: caller.clientId, subject: caller.subject },
      action,
      ...(target ? { target } : {}),
      outcome,
      requestId: caller.requestId,
      // The record's own actor is subject and client; the admin's role and break-glass flag go with it here.
      details: { actor: { role: caller.role, breakGlass: caller.breakGlass }, ...details },
    };
    await this.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, event, { jobId: event.id });
    this.logger.info({ tenant, action, target, outcome, clientId: caller.clientId }, 'admin action');
  }
}
