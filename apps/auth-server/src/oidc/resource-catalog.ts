import type { TenantRecord } from '../tenants/tenant-record.js';

/** What a resource (RFC 8707 audience) the tenant serves looks like to consent and to token issuance. */
export interface ResourceServerDescription {
  /** The resource indicator, exactly as it appears in `aud`. */
  audience: string;
  kind: 'mcp-aggregated' | 'mcp-server' | 'session-store' | 'admin-api';
  /** Upstream server name for `mcp-server` resources. */
  serverName?: string;
  /** Human label for the consent page, e.g. "All MCP tools of Acme" or "github (MCP server)". */
  label: string;
  /** Every scope this resource understands. */
  scopes: string[];
  /** What a request without `scope` gets (the MCP spec allows omitting it). */
  defaultScopes: string[];
}

/** The resources (RFC 8707) a tenant serves, for consent pages and default scopes. OidcModule provides it. */
export abstract class ResourceCatalog {
  abstract describe(tenant: TenantRecord, resource: string): Promise<ResourceServerDescription | undefined>;
  /** The resource a request without `resource` is for: the tenant's aggregated MCP URL. */
  abstract defaultResource(tenant: TenantRecord): string;
}
