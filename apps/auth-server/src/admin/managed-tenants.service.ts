import { Injectable } from '@nestjs/common';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantNotFound, TenantResolver } from '../tenants/tenant-resolver.js';
import { tenantNotFound } from './admin.errors.js';

/** The tenants the admin API manages: every tenant but the platform's own `admin` one, read fresh (not from the cache). */
@Injectable()
export class ManagedTenants {
  constructor(private readonly resolver: TenantResolver) {}

  async get(slug: string): Promise<TenantRecord> {
    if (slug === ADMIN_TENANT_SLUG) throw tenantNotFound();
    try {
      return await this.resolver.tenant(slug, { fresh: true });
    } catch (error) {
      if (error instanceof TenantNotFound) throw tenantNotFound();
      throw error;
    }
  }
}
