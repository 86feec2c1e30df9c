import { Module } from '@nestjs/common';
import { ArtifactSweep } from '../adapter/artifact-sweep.service.js';
import { ClientsModule } from '../adapter/clients.module.js';
import { AuthJobRunner } from '../jobs/auth-job-runner.service.js';
import { ClientMetadataModule } from '../client-metadata/client-metadata.module.js';
import { RegistrationPolicyModule } from '../registration-policy/registration-policy.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { TenantResolver } from '../tenants/tenant-resolver.js';
import { UsersModule } from '../users/users.module.js';
import { ClientRevocationEffects } from './client-revocation.service.js';
import { GrantRevocationEffects } from './grant-revocation.service.js';
import { ProviderGrantRevoker } from './grant-revoker.service.js';
import { GrantRevoker } from './grant-revoker.js';
import { ResourceCatalog } from './resource-catalog.js';
import { TenantProviders } from './tenant-providers.js';
import { DatabaseResourceCatalog } from './resource-catalog.service.js';
import { OidcProviderRegistry } from './tenant-providers.service.js';

@Module({
  imports: [TenantsModule, KeysModule, ClientsModule, UsersModule, ClientMetadataModule, RegistrationPolicyModule],
  providers: [
    TenantResolver,
    DatabaseResourceCatalog,
    { provide: ResourceCatalog, useExisting: DatabaseResourceCatalog },
    GrantRevocationEffects,
    ClientRevocationEffects,
    OidcProviderRegistry,
    { provide: TenantProviders, useExisting: OidcProviderRegistry },
    ProviderGrantRevoker,
    { provide: GrantRevoker, useExisting: ProviderGrantRevoker },
    AuthJobRunner,
    ArtifactSweep,
  ],
  exports: [TenantsModule, KeysModule, ClientsModule, AuthJobRunner, ArtifactSweep, TenantResolver, TenantProviders, OidcProviderRegistry, ResourceCatalog, DatabaseResourceCatalog, GrantRevoker, GrantRevocationEffects, ClientRevocationEffects],
})
export class OidcModule {}
