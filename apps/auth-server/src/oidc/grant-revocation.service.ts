import { Inject, Injectable } from '@nestjs/common';
import { GRANT_REVOKED_CHANNEL, Queues, revokedGrantKey, type GrantRevokedEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import type { Pool } from 'pg';
import type { QueueBackend } from '@airlock/queue';
import { HOT_STORE, LOGGER, PG_POOL, QUEUES } from '../infra/infra.tokens.js';
import type { GrantRevocationReason } from './grant-revoker.js';
import type { TenantRecord } from '../tenants/tenant-record.js';

/** The job the session store runs to end a revoked grant's MCP sessions; data is a GrantRevokedEvent. */
export const GRANT_REVOKED_JOB = 'grant.revoked';

// Slack past the access-token lifetime for clock skew between the issuer and resource servers.
const CLOCK_SKEW_SECONDS = 60;

/**
 * What must happen outside oidc-provider when a grant dies, however it died (user, admin, replay):
 * resource servers stop honouring its still-unexpired JWT access tokens (hot-store marker + event), the
 * marker can be rebuilt after a Redis loss (revoked_grants row), the consent stops being listed, and
 * the session store ends the grant's MCP sessions (durable job, at least once).
 */
@Injectable()
export class GrantRevocationEffects {
  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(tenant: TenantRecord, grantId: string, reason: GrantRevocationReason): Promise<void> {
    const notAfter = Math.floor(Date.now() / 1000) + tenant.accessTokenTtl + CLOCK_SKEW_SECONDS;
    const event: GrantRevokedEvent = { tenant: tenant.slug, grantId, reason, notAfter };
    await this.hot.set(revokedGrantKey(tenant.slug, grantId), reason, { ttlMs: (tenant.accessTokenTtl + CLOCK_SKEW_SECONDS) * 1000 });
    await this.pg.query(
      `INSERT INTO revoked_grants (tenant_id, grant_id, reason, not_after) VALUES ($1, $2, $3, to_timestamp($4))
       ON CONFLICT (tenant_id, grant_id) DO NOTHING`,
      [tenant.id, grantId, reason, notAfter],
    );
    await this.pg.query('UPDATE consents SET revoked_at = now() WHERE tenant_id = $1 AND grant_id = $2 AND revoked_at IS NULL', [tenant.id, grantId]);
    await this.hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify(event));
    await this.queues.enqueue(Queues.sessions, GRANT_REVOKED_JOB, event, { jobId: `grant-revoked.${tenant.slug}.${grantId}` });
    this.logger.info({ tenant: tenant.slug, grantId, reason }, 'grant revoked');
  }
}
