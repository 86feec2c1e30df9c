import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_RECORD_JOB, Queues, type AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import { LOGGER, QUEUES } from '../infra/infra.tokens.js';

export interface FederationAuditEntry {
  /** Tenant slug (the audit writer resolves it). */
  tenant: string;
  action: 'federation.sign_in' | 'federation.user_provisioned' | 'federation.user_linked' | 'federation.group_overage';
  outcome: AuditEvent['outcome'];
  /** The local user, when there is one. */
  subject?: string | undefined;
  /** The provider's slug. */
  target: string;
  details: Record<string, unknown>;
}

/** Sign-ins through an identity provider, recorded on `Queues.audit` like every other audit event. */
@Injectable()
export class FederationAudit {
  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(entry: FederationAuditEntry): Promise<void> {
    const event: AuditEvent = {
      id: randomUUID(),
      tenant: entry.tenant,
      occurredAt: new Date().toISOString(),
      actor: entry.subject ? { subject: entry.subject } : {},
      action: entry.action,
      target: entry.target,
      outcome: entry.outcome,
      details: entry.details,
    };
    try {
      await this.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, event, { jobId: event.id });
    } catch (error) {
      // A sign-in does not fail because the audit queue is down; the log keeps the event.
      this.logger.error({ err: error, tenant: entry.tenant, action: entry.action }, 'federation audit event not enqueued');
    }
    this.logger.info({ tenant: entry.tenant, action: entry.action, provider: entry.target, outcome: entry.outcome, ...entry.details }, 'federated sign-in');
  }
}
