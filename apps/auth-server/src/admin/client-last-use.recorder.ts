import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE, LOGGER } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import { AdminClientsRepository } from './admin-clients.repository.js';

/** A client's last use is written at most this often (the first token of each window writes it). */
export const CLIENT_LAST_USE_EVERY_MS = 60_000;

/**
 * Records when each client last got a token, for the admin API. A busy client gets many tokens a minute:
 * a hot-store marker (set-if-absent, one minute) lets the first of each minute write the row, so the
 * token endpoint costs at most one Postgres write per client per minute, off its response path.
 */
@Injectable()
export class ClientLastUseRecorder {
  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly clients: AdminClientsRepository,
    registry: OidcProviderRegistry,
  ) {
    registry.watchTokenIssuance((tenant, clientId) => void this.used(tenant, clientId));
  }

  async used(tenant: TenantRecord, clientId: string): Promise<void> {
    try {
      const first = await this.hot.set(`auth:client-used:${tenant.slug}:${clientId}`, '1', { ttlMs: CLIENT_LAST_USE_EVERY_MS, onlyIfAbsent: true });
      if (first) await this.clients.markUsed(tenant.id, clientId);
    } catch (error) {
      this.logger.warn({ err: error, tenant: tenant.slug }, 'client last use not recorded');
    }
  }
}
