import { clientRevokedEventSchema, grantRevokedEventSchema, Queues } from '@airlock/contracts';
import type { Job, QueueBackend, QueueWorker } from '@airlock/queue';
import type { Logger } from '@airlock/observability';
import type { AuditWriter } from '../audit/audit.writer.js';
import type { SessionDurableRepository } from '../sessions/session-durable.repository.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { UnknownTenantError } from '@airlock/platform';
import type { ExpirySweep } from './expiry-sweep.js';
import { seenJobSchema, SessionJobs, upsertJobSchema } from './session-jobs.js';

export interface SessionWorkersOptions {
  concurrency?: number;
  /** Audit jobs in flight at once (their rows share INSERTs); default 8. */
  auditConcurrency?: number;
  expirySweepEveryMs?: number;
}

/**
 * Runs the session store's jobs. Every handler is idempotent (delivery is at least once; a worker killed
 * mid-job has the job run again) and throws to have the job retried with backoff.
 */
export class SessionJobsWorker {
  private readonly workers: QueueWorker[] = [];

  constructor(
    private readonly queues: QueueBackend,
    private readonly sessions: SessionsService,
    private readonly durable: SessionDurableRepository,
    private readonly sweep: ExpirySweep,
    private readonly audit: AuditWriter,
    private readonly logger: Logger,
  ) {}

  async start(options: SessionWorkersOptions = {}): Promise<void> {
    this.workers.push(this.queues.work<unknown>(Queues.sessions, (job) => this.handle(job), { concurrency: options.concurrency ?? 4 }));
    // Several audit jobs at once, so the writer can put their rows in one INSERT. The gateway sends ~100
    // records per job, so one job fills an INSERT; more jobs in flight cost BullMQ CPU for no gain (measured:
    // ~50 us per record at 4-8, ~80 at 64). Single-record jobs (admin actions, revocations) are rare.
    this.workers.push(this.queues.work<unknown>(Queues.audit, (job) => this.handleAudit(job), { concurrency: options.auditConcurrency ?? 8 }));
    await this.queues.repeat(Queues.sessions, SessionJobs.expirySweep, options.expirySweepEveryMs ?? 60_000);
  }

  /** A batch's records that can never be written are logged (ids and reasons, no content) and not retried. */
  async handleAudit(job: Job<unknown>): Promise<void> {
    const { stored, refused } = await this.audit.handle(job);
    if (refused.length > 0) this.logger.warn({ job: job.id, stored, refused: refused.slice(0, 20), refusedCount: refused.length }, 'audit records refused');
  }

  async handle(job: Job<unknown>): Promise<void> {
    try {
      await this.dispatch(job);
    } catch (error) {
      // A deleted tenant's rows went with it (cascade): retrying its jobs can never succeed.
      if (!(error instanceof UnknownTenantError)) throw error;
      this.logger.info({ name: job.name, tenant: error.slug }, 'job of a deleted tenant dropped');
    }
  }

  private async dispatch(job: Job<unknown>): Promise<void> {
    switch (job.name) {
      case SessionJobs.upsert: {
        const { session, version } = upsertJobSchema.parse(job.data);
        return this.durable.upsert(session, version);
      }
      case SessionJobs.seen:
        return this.durable.recordLastSeen(seenJobSchema.parse(job.data).entries);
      case SessionJobs.grantRevoked: {
        const event = grantRevokedEventSchema.parse(job.data);
        const reason = `grant_revoked:${event.reason}`;
        // Live records first: every gateway evicts at once even when Postgres is down (the job then retries).
        const revoked = await this.sessions.revokeBy(event.tenant, 'grant', event.grantId, reason, {});
        const endedAt = new Date().toISOString();
        // Sessions whose live record was already gone (idled out, or a previous run of this job died midway).
        const durableOnly = await this.durable.endByGrant(event.tenant, event.grantId, reason, endedAt);
        await this.sessions.auditRevocations(
          durableOnly.map((session) => ({ ...session, tenant: event.tenant, grantId: event.grantId })),
          reason,
          {},
          endedAt,
        );
        this.logger.info({ tenant: event.tenant, revoked, durableOnly: durableOnly.length }, 'sessions of a revoked grant ended');
        return;
      }
      case SessionJobs.clientRevoked: {
        const event = clientRevokedEventSchema.parse(job.data);
        const reason = `client_revoked:${event.reason}`;
        const revoked = await this.sessions.revokeBy(event.tenant, 'client', event.clientId, reason, {});
        const endedAt = new Date().toISOString();
        const durableOnly = await this.durable.endByClient(event.tenant, event.clientId, reason, endedAt);
        await this.sessions.auditRevocations(
          durableOnly.map((session) => ({ ...session, tenant: event.tenant })),
          reason,
          {},
          endedAt,
        );
        this.logger.info({ tenant: event.tenant, revoked, durableOnly: durableOnly.length }, 'sessions of a revoked client ended');
        return;
      }
      case SessionJobs.expirySweep:
        await this.sweep.run();
        return;
      default:
        // An unknown job name is a deploy skew; failing would retry it forever to no effect.
        this.logger.warn({ name: job.name }, 'unknown session job ignored');
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((worker) => worker.close()));
  }
}
