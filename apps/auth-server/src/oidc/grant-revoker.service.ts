import { Injectable } from '@nestjs/common';
import { type GrantRevocationReason, GrantRevoker } from './grant-revoker.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { OidcProviderRegistry } from './tenant-providers.service.js';

@Injectable()
export class ProviderGrantRevoker extends GrantRevoker {
  constructor(private readonly registry: OidcProviderRegistry) {
    super();
  }

  async revoke(tenant: TenantRecord, grantId: string, reason: GrantRevocationReason): Promise<void> {
    const entry = await this.registry.forTenant(tenant.slug);
    if (!entry) throw new Error(`no tenant ${tenant.slug}`);
    await this.registry.revokeGrant(entry.provider, entry.tenant, grantId, reason);
  }
}
