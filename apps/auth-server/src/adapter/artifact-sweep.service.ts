import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Queues } from '@airlock/contracts';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import type { Pool } from 'pg';
import { AuthJobRunner } from '../jobs/auth-job-runner.service.js';
import { AUTH_CONFIG, LOGGER, PG_POOL, QUEUES } from '../infra/infra.tokens.js';

export const AuthJobs = {
  /** Deletes what has outlived its use; repeated on a schedule, idempotent. */
  sweep: 'auth.sweep',
} as const;

/** Rows per DELETE, so one sweep never holds a long lock or a huge transaction. */
const BATCH = 1_000;
/** Expired artifacts are kept this long (a refresh token's reuse shortly after expiry still finds the row). */
const GRACE = "interval '1 hour'";

export interface SweepResult {
  artifacts: number;
  revokedGrants: number;
  signingKeys: number;
}

/**
 * Housekeeping on `Queues.auth`: expired oidc-provider artifacts in `oidc_artifacts` (the hot store
 * expires its own), revoked-grant records past `not_after` (no token of the grant can still be valid),
 * and retired signing keys past `not_after` (no longer published). One schedule across replicas.
 */
@Injectable()
export class ArtifactSweep implements OnApplicationBootstrap {
  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AUTH_CONFIG) private readonly config: Pick<AuthServerConfig, 'artifactSweepEveryMs'>,
    jobs: AuthJobRunner,
  ) {
    jobs.handle(AuthJobs.sweep, async () => void (await this.run()));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queues.repeat(Queues.auth, AuthJobs.sweep, this.config.artifactSweepEveryMs);
  }

  async run(): Promise<SweepResult> {
    const result: SweepResult = {
      artifacts: await this.inBatches(
        `DELETE FROM oidc_artifacts WHERE ctid IN (SELECT ctid FROM oidc_artifacts WHERE expires_at < now() - ${GRACE} LIMIT ${BATCH})`,
      ),
      revokedGrants: await this.inBatches(
        `DELETE FROM revoked_grants WHERE ctid IN (SELECT ctid FROM revoked_grants WHERE not_after < now() LIMIT ${BATCH})`,
      ),
      signingKeys: await this.inBatches(
        `DELETE FROM signing_keys WHERE ctid IN (SELECT ctid FROM signing_keys WHERE state = 'retired' AND not_after < now() LIMIT ${BATCH})`,
      ),
    };
    if (result.artifacts + result.revokedGrants + result.signingKeys > 0) this.logger.info(result, 'auth housekeeping swept');
    return result;
  }

  private async inBatches(sql: string): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.pg.query(sql);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) return total;
    }
  }
}
