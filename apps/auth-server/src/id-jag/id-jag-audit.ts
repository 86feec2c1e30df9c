import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_RECORD_JOB, Queues, type AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import { LOGGER, QUEUES } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import type { IdJagIssue } from './id-jag-issuance.js';
import type { IdJagRedemption } from './jwt-bearer.grant.js';

/**
 * Audit records of ID-JAG use and pre-approved consent, through `Queues.audit` (never the assertion or a
 * token: only who, for which client, resource and scopes). Never throws into the token endpoint.
 */
@Injectable()
export class IdJagAudit {
  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  redeemed(tenant: TenantRecord, redemption: IdJagRedemption): void {
    this.record(tenant, {
      actor: { clientId: redemption.clientId, ...(redemption.accountId ? { subject: redemption.accountId } : {}) },
      action: 'oauth.token.id_jag',
      target: redemption.resource,
      outcome: redemption.outcome,
      details: {
        issuer: redemption.issuer,
        idpSubject: redemption.idpSubject,
        scopes: redemption.scopes,
        ...(redemption.jti ? { jti: redemption.jti } : {}),
        ...(redemption.reason ? { reason: redemption.reason } : {}),
      },
    });
  }

  issued(tenant: TenantRecord, issue: IdJagIssue): void {
    this.record(tenant, {
      actor: { clientId: issue.clientId, subject: issue.subject },
      action: 'oauth.id_jag.issue',
      target: issue.audience,
      outcome: 'success',
      details: { resource: issue.resource ?? null, scopes: issue.scopes, jti: issue.jti },
    });
  }

  preApproved(tenant: TenantRecord, entry: { accountId: string; clientId: string; resource: string; scopes: string[]; grantId: string; tools: string[] }): void {
    this.record(tenant, {
      actor: { clientId: entry.clientId, subject: entry.accountId },
      action: 'oauth.consent.pre_approved',
      target: entry.resource,
      outcome: 'success',
      details: { scopes: entry.scopes, grantId: entry.grantId, tools: entry.tools },
    });
  }

  private record(tenant: TenantRecord, event: Pick<AuditEvent, 'actor' | 'action' | 'outcome' | 'details'> & { target: string | undefined }): void {
    const { target, ...rest } = event;
    const full: AuditEvent = { id: randomUUID(), tenant: tenant.slug, occurredAt: new Date().toISOString(), ...rest, ...(target ? { target } : {}) };
    this.queues.enqueue(Queues.audit, AUDIT_RECORD_JOB, full, { jobId: full.id }).catch((error: unknown) => this.logger.error({ err: error, action: full.action }, 'audit enqueue failed'));
  }
}
