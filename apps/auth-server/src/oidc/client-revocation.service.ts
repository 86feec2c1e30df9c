import { Inject, Injectable } from '@nestjs/common';
import { clientRevokedEventSchema, GRANT_REVOKED_CHANNEL, Queues, revokedClientKey, type ClientRevokedEvent } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import type { Logger } from '@airlock/observability';
import type { QueueBackend } from '@airlock/queue';
import { HOT_STORE, LOGGER, QUEUES } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';

/** The job the session store runs to end a revoked client's MCP sessions; data is a ClientRevokedEvent. */
export const CLIENT_REVOKED_JOB = 'client.revoked';

// Slack past the access-token lifetime for clock skew between the issuer and resource servers.
const CLOCK_SKEW_SECONDS = 60;

/**
 * Revokes every token a client holds (it was deleted or disabled). client_credentials tokens have no
 * grant to revoke, so the client gets a revocation epoch instead: resource servers refuse its tokens
 * issued at or before it. The epoch travels the grant-revocation feed (hot-store marker + event on
 * GRANT_REVOKED_CHANNEL, so every gateway replica's in-process set learns it within a second), and the
 * session store ends the client's live MCP sessions (durable job, at least once).
 */
@Injectable()
export class ClientRevocationEffects {
  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(tenant: TenantRecord, clientId: string, reason: ClientRevokedEvent['reason']): Promise<void> {
    const revokedBefore = Math.floor(Date.now() / 1000);
    const keepSeconds = tenant.accessTokenTtl + CLOCK_SKEW_SECONDS;
    const event: ClientRevokedEvent = { tenant: tenant.slug, clientId, reason, revokedBefore, notAfter: revokedBefore + keepSeconds };
    await this.hot.set(revokedClientKey(tenant.slug, clientId), JSON.stringify(event), { ttlMs: keepSeconds * 1000 });
    await this.hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify(event));
    await this.queues.enqueue(Queues.sessions, CLIENT_REVOKED_JOB, event, { jobId: `client-revoked.${tenant.slug}.${clientId}.${revokedBefore}` });
    this.logger.info({ tenant: tenant.slug, clientId, reason }, 'client tokens revoked');
  }
}

/** True when the client's tokens issued at `issuedAt` (the token's `iat`) or before were revoked: one hot-store read. */
export async function isClientTokenRevoked(hot: HotStore, tenant: string, clientId: string, issuedAt: number): Promise<boolean> {
  const raw = await hot.get(revokedClientKey(tenant, clientId));
  if (!raw) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // A marker that cannot be read errs on the side of refusing.
    return true;
  }
  const event = clientRevokedEventSchema.safeParse(parsed);
  return !event.success || issuedAt <= event.data.revokedBefore;
}
