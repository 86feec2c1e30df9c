import type Provider from 'oidc-provider';
import type { TenantRecord } from '../tenants/tenant-record.js';

export interface TenantProvider {
  tenant: TenantRecord;
  /** The tenant's oidc-provider instance: interactionDetails / interactionFinished / Grant live here. */
  provider: Provider;
}

/**
 * Per-tenant oidc-provider instances (lazily created, cached, invalidated on tenant changes). The
 * interaction pages are served by Nest controllers at `/t/:tenant/interaction/:uid` (static segments win
 * over the provider's catch-all mount) and call `provider.interactionDetails(req.raw, reply.raw)` etc.
 * The interaction cookies' path is `/t/<slug>/interaction/<uid>`. OidcModule provides it; the
 * interaction and account pages consume it (an abstract class doubles as the injection token).
 */
export abstract class TenantProviders {
  /** undefined when no such tenant. */
  abstract forTenant(slug: string): Promise<TenantProvider | undefined>;
}
