import type { TenantRecord } from '../../tenants/tenant-record.js';

/** The SP's own URLs for one provider of one tenant; the metadata URL doubles as the SP entity id. */
export interface SamlEndpoints {
  /** `/t/<tenant>/federation/<provider>/saml` (path only, for the state cookie). */
  path: string;
  entityId: string;
  acsUrl: string;
  finishUrl: string;
}

export function samlEndpoints(tenant: Pick<TenantRecord, 'issuer' | 'slug'>, providerSlug: string): SamlEndpoints {
  const path = `/t/${encodeURIComponent(tenant.slug)}/federation/${encodeURIComponent(providerSlug)}/saml`;
  const base = `${tenant.issuer}/federation/${encodeURIComponent(providerSlug)}/saml`;
  return { path, entityId: `${base}/metadata`, acsUrl: `${base}/acs`, finishUrl: `${base}/finish` };
}
