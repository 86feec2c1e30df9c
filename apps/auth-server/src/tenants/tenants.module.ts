import { Module } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import { TenantDirectory } from '@airlock/platform';
import type { HotStore } from '@airlock/redis';
import type { Pool } from 'pg';
import { AUTH_CONFIG, HOT_STORE, LOGGER, PG_POOL } from '../infra/infra.tokens.js';
import { TenantRecords } from './tenant-records.service.js';
import { TenantRepository } from './tenant.repository.js';

/**
 * Tenants: the repository, the shared cached TenantDirectory and the auth server's TenantRecords over it.
 * TenantResolver and TenantGuard (which also build the tenant's oidc-provider) live in OidcModule.
 */
@Module({
  providers: [
    { provide: TenantRepository, inject: [PG_POOL, AUTH_CONFIG], useFactory: (pg: Pool, config: AuthServerConfig) => new TenantRepository(pg, config.publicUrl) },
    {
      provide: TenantDirectory,
      inject: [PG_POOL, HOT_STORE, AUTH_CONFIG, LOGGER],
      useFactory: (pg: Pool, hot: HotStore, config: AuthServerConfig, logger: Logger) =>
        new TenantDirectory(pg, { hot, cacheMs: config.tenantCacheMs, onError: (err) => logger.error({ err }, 'tenant change listener failed') }),
    },
    TenantRecords,
  ],
  exports: [TenantRepository, TenantRecords],
})
export class TenantsModule {}
