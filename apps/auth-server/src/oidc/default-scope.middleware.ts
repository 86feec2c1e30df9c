import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ResourceCatalog } from './resource-catalog.js';
import type { TenantRecord } from '../tenants/tenant-record.js';

/**
 * The MCP spec lets a client omit `scope`; oidc-provider would then end the flow with access_denied
 * ("no scope was granted"). Before it parses the request, an authorization request without `scope` gets
 * the default scopes of the resource it names (or of the tenant's default resource).
 */
export function defaultScopeMiddleware(resources: ResourceCatalog, tenant: () => TenantRecord) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    if (ctx.method === 'GET' && ctx.path === '/auth') {
      const query = ctx.query;
      const scope = typeof query['scope'] === 'string' ? query['scope'].trim() : undefined;
      if (!scope && query['request'] === undefined && query['request_uri'] === undefined) {
        const requested = typeof query['resource'] === 'string' ? query['resource'] : resources.defaultResource(tenant());
        const described = await resources.describe(tenant(), requested);
        if (described && described.defaultScopes.length > 0) {
          // oidc-provider finds its mount path as `req.originalUrl` minus `req.url`, and setting the query
          // rewrites `req.url`: keep the two in step or every URL it builds loses the /t/<slug> prefix.
          const raw = ctx.req as typeof ctx.req & { originalUrl?: string };
          const before = ctx.url;
          const mount = raw.originalUrl && raw.originalUrl.endsWith(before) ? raw.originalUrl.slice(0, -before.length) : '';
          ctx.query = { ...query, scope: described.defaultScopes.join(' ') };
          raw.originalUrl = `${mount}${ctx.url}`;
        }
      }
    }
    await next();
  };
}
