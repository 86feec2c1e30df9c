import { Module } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Pool } from 'pg';
import { AUTH_CONFIG, PG_POOL } from '../infra/infra.tokens.js';
import { TenantDirectory } from './tenant-directory.service.js';
import { TenantRepository } from './tenant.repository.js';

/**
 * Tenants: the repository and the one cached directory every slug lookup goes through. TenantResolver and
 * TenantGuard (which also build the tenant's oidc-provider) live in OidcModule.
 */
@Module({
  providers: [
    { provide: TenantRepository, inject: [PG_POOL, AUTH_CONFIG], useFactory: (pg: Pool, config: AuthServerConfig) => new TenantRepository(pg, config.publicUrl) },
    TenantDirectory,
  ],
  exports: [TenantRepository, TenantDirectory],
})
export class TenantsModule {}
