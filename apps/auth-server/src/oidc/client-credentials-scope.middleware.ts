import type { KoaContextWithOIDC } from 'oidc-provider';
import { Scopes } from '@airlock/contracts';
import { readBoundedBody } from './bounded-body.js';
import type { ResourceCatalog } from './resource-catalog.js';
import type { TenantRecord } from '../tenants/tenant-record.js';

/**
 * oidc-provider gives a client_credentials token exactly the scopes requested that the resource offers,
 * so a service client that asks for none gets a token without `mcp`, which the gateway refuses. Before
 * oidc-provider reads the body, a client_credentials request for an MCP resource without `scope` asks for
 * `mcp` when that resource offers it (what a user's authorization request without scope gets too). Without
 * `resource`, a client that is not a service client gets the tenant's default resource (its aggregated MCP
 * URL), so that one counts; a service client's default resource is its service.
 */
export function clientCredentialsScopeMiddleware(resources: ResourceCatalog, tenant: () => TenantRecord, isServiceClient: (clientId: string) => boolean) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    if (ctx.method === 'POST' && ctx.path === '/token' && ctx.is('application/x-www-form-urlencoded') && ctx.req.readable) {
      const raw = await readBoundedBody(ctx);
      if (raw === undefined) {
        ctx.status = 413;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'invalid_request', error_description: 'the request body is too large' };
        return;
      }
      const form = new URLSearchParams(raw);
      const clientId = form.get('client_id') ?? basicClientId(ctx.get('authorization'));
      const resource = form.get('resource') ?? (clientId !== undefined && !isServiceClient(clientId) ? resources.defaultResource(tenant()) : undefined);
      if (form.get('grant_type') === 'client_credentials' && !form.get('scope')?.trim() && resource && form.getAll('resource').length <= 1) {
        const described = await resources.describe(tenant(), resource);
        const mcpResource = described?.kind === 'mcp-aggregated' || described?.kind === 'mcp-server';
        if (mcpResource && described.scopes.includes(Scopes.mcp)) form.set('scope', Scopes.mcp);
      }
      // oidc-provider reads an already-consumed body from here.
      (ctx.request as { body?: unknown }).body = form.toString();
    }
    await next();
  };
}

/** The client id of an HTTP Basic Authorization header (RFC 6749 2.3.1: form-urlencoded), if any. */
function basicClientId(header: string): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
