import { Injectable } from '@nestjs/common';
import { tenantSlugSchema } from '@airlock/contracts';
import { type TenantProvider, TenantProviders } from '../oidc/tenant-providers.js';
import type { TenantRecord } from './tenant-record.js';
import { TenantRecords } from './tenant-records.service.js';

/**
 * No tenant answers to this slug: it is malformed (not a `tenantSlugSchema` slug) or unknown. One error
 * for both, so no surface can tell a caller which; each surface maps it to its own 404.
 */
export class TenantNotFound extends Error {
  constructor() {
    super('no such tenant');
    this.name = 'TenantNotFound';
  }
}

export interface ResolveOptions {
  /**
   * Read the database rather than the cache (the cache is refreshed with what it finds). For the admin
   * API: a change on another replica must not be acted on with the record cached before it.
   */
  fresh?: boolean;
}

/**
 * The one way a `/t/<slug>` or `/admin/v1/tenants/<slug>` path becomes a tenant: the slug is checked
 * against the shared schema (so uppercase, over-long or `..` slugs never reach a query), then looked up
 * through the TenantRecords. Used by the oidc-provider mount, the page guard and the admin API.
 */
@Injectable()
export class TenantResolver {
  constructor(
    private readonly directory: TenantRecords,
    private readonly providers: TenantProviders,
  ) {}

  async tenant(slug: string, options: ResolveOptions = {}): Promise<TenantRecord> {
    const parsed = tenantSlugSchema.safeParse(slug);
    if (!parsed.success) throw new TenantNotFound();
    const tenant = options.fresh ? await this.directory.findFresh(parsed.data) : await this.directory.findBySlug(parsed.data);
    if (!tenant) throw new TenantNotFound();
    return tenant;
  }

  /** The tenant with its oidc-provider instance (built on first use). */
  async provider(slug: string): Promise<TenantProvider> {
    const tenant = await this.tenant(slug);
    const built = await this.providers.forTenant(tenant.slug);
    if (!built) throw new TenantNotFound();
    return built;
  }
}
