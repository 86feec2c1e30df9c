import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_RECORD_JOB, Queues, type AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { Infra } from '@airlock/platform';
import { INFRA, LOGGER } from '../oidc/ports.js';
import type { AdminCaller } from './admin-caller.js';

/** Records admin actions through `Queues.audit` (written durably by the audit worker, once per event id). */
@Injectable()
export class AdminAudit {
  constructor(
    @Inject(INFRA) private readonly infra: Infra,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(caller: AdminCaller, tenant: string, action: string, target: string | undefined, details: Record<string, unknown> = {}): Promise<void> {
    const event: AuditEvent = {
      id: randomUUID(),
      tenant,
      occurredAt: new Date().toISOString(),
      actor: { clientId: caller.clientId, subject: caller.subject },
      action,
      ...(target ? { target } : {}),
      outcome: 'success',
      requestId: caller.requestId,
      // The record's own actor is subject and client; the admin's role and break-glass flag go with it here.
      details: { actor: { role: caller.role, breakGlass: caller.breakGlass }, ...details },
    };
    await this.infra.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, event, { jobId: event.id });
    this.logger.info({ tenant, action, target, clientId: caller.clientId }, 'admin action');
  }
}
