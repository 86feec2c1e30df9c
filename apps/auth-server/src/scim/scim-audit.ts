import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_RECORD_JOB, Queues, type AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import { LOGGER, QUEUES } from '../infra/infra.tokens.js';
import type { ScimCaller } from './scim-auth.js';

/** The audit actor of a SCIM change: the tenant's provisioning client, by token id. */
export const scimActor = (tokenId: string) => `scim-token:${tokenId}`;

/** Records every SCIM change (`scim.user.create`, `scim.user.deprovision`, ...) through `Queues.audit`. */
@Injectable()
export class ScimAudit {
  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(caller: ScimCaller, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    const event: AuditEvent = {
      id: randomUUID(),
      tenant: caller.tenant.slug,
      occurredAt: new Date().toISOString(),
      actor: { clientId: scimActor(caller.tokenId) },
      action,
      target,
      outcome: 'success',
      requestId: caller.requestId,
      details,
    };
    await this.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, event, { jobId: event.id });
    this.logger.info({ tenant: caller.tenant.slug, action, target }, 'SCIM change');
  }
}
