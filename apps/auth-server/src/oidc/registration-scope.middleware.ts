import type { KoaContextWithOIDC } from 'oidc-provider';
import { readBoundedBody } from './bounded-body.js';

async function readJson(ctx: KoaContextWithOIDC): Promise<unknown> {
  const text = await readBoundedBody(ctx);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * MCP clients register with `scope` set to the resource's `scopes_supported` (e.g. "mcp"), but in
 * oidc-provider a client's `scope` names OpenID scopes only, and anything else fails registration with
 * invalid_client_metadata. Resource scopes are governed per resource (RFC 8707) instead, so before
 * RFC 7591/7592 registration requests reach oidc-provider, `scope` keeps only the OpenID scopes it knows
 * (RFC 7591 lets the server replace requested metadata; the response shows what was registered).
 */
export function registrationScopeMiddleware(oidcScopes: ReadonlySet<string>) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    const registration = (ctx.method === 'POST' && ctx.path === '/reg') || (ctx.method === 'PUT' && ctx.path.startsWith('/reg/'));
    if (registration && ctx.is('application/json') && ctx.req.readable) {
      const body = await readJson(ctx);
      if (body === undefined) {
        ctx.status = 400;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'invalid_request', error_description: 'failed to parse the request body' };
        return;
      }
      if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['scope'] === 'string') {
        const record = body as Record<string, unknown>;
        const kept = String(record['scope']).split(' ').filter((scope) => oidcScopes.has(scope));
        if (kept.length > 0) record['scope'] = kept.join(' ');
        else delete record['scope'];
      }
      // oidc-provider reads an already-consumed body from here.
      (ctx.request as { body?: unknown }).body = body;
    }
    await next();
  };
}
