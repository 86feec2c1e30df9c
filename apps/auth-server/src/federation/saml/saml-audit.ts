import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_RECORD_JOB, Queues, type AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import { LOGGER, QUEUES } from '../../infra/infra.tokens.js';

export interface SamlSignInAudit {
  tenant: string;
  provider: string;
  requestId: string;
  outcome: 'success' | 'failure';
  userId?: string | undefined;
  reason?: string | undefined;
  /** For the server log only (library messages can quote parts of the assertion). */
  detail?: string | undefined;
}

/** One audit record per SAML sign-in attempt (`federation.saml.sign_in`), success or refusal with its reason. */
@Injectable()
export class SamlAudit {
  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(entry: SamlSignInAudit): Promise<void> {
    const event: AuditEvent = {
      id: randomUUID(),
      tenant: entry.tenant,
      occurredAt: new Date().toISOString(),
      actor: entry.userId ? { subject: entry.userId } : {},
      action: 'federation.saml.sign_in',
      target: entry.provider,
      outcome: entry.outcome,
      requestId: entry.requestId,
      details: entry.reason ? { reason: entry.reason } : {},
    };
    const log = { tenant: entry.tenant, provider: entry.provider, reason: entry.reason, detail: entry.detail, requestId: entry.requestId };
    if (entry.outcome === 'success') this.logger.info(log, 'SAML sign-in');
    else this.logger.warn(log, 'SAML sign-in refused');
    try {
      await this.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, event, { jobId: event.id });
    } catch (error) {
      // The person's answer does not wait on the audit queue; the log line above still holds the event.
      this.logger.error({ err: error, tenant: entry.tenant }, 'could not enqueue SAML audit event');
    }
  }
}
