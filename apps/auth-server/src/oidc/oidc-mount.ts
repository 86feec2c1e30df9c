import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mountRawHandler, type RawRequest, type RawResponse } from '@airlock/http-server';
import { TenantNotFound, type TenantResolver } from '../tenants/tenant-resolver.js';

const DISCOVERY = '/.well-known/openid-configuration';

function notFound(response: RawResponse): void {
  response.statusCode = 404;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('cache-control', 'no-store');
  response.end(JSON.stringify({ error: 'not_found', error_description: 'no such tenant' }));
}

/**
 * Mounts every tenant's oidc-provider under `/t/<slug>` as a raw Node handler (Fastify never parses
 * these bodies), plus the well-known URLs the MCP spec has clients try for an issuer with a path:
 * `/.well-known/oauth-authorization-server/t/<slug>` (RFC 8414), `/.well-known/openid-configuration/t/<slug>`
 * and `/t/<slug>/.well-known/openid-configuration` (OIDC Discovery). oidc-provider derives its mount
 * path from `req.originalUrl` (full path) minus `req.url` (path inside the issuer).
 */
export function mountOidc(app: NestFastifyApplication, tenants: TenantResolver): void {
  const dispatch = async (request: RawRequest, response: RawResponse, slug: string, innerPath: string) => {
    let entry;
    try {
      entry = await tenants.provider(slug);
    } catch (error) {
      // No provider exists to render this one in its own format; every other error is oidc-provider's.
      if (error instanceof TenantNotFound) return notFound(response);
      throw error;
    }
    const raw = request as RawRequest & { originalUrl?: string };
    raw.originalUrl = `/t/${entry.tenant.slug}${innerPath}`;
    raw.url = innerPath;
    // oidc-provider builds endpoint URLs from the request's scheme, which behind a TLS-terminating proxy
    // (Caddy in docker-compose.yml) is plain HTTP: the scheme is the issuer's, from configuration, never
    // from what a client sent. The provider reads it as a proxy's header (`proxy` is set where providers
    // are built); the host stays the request's own Host, as without a proxy.
    raw.headers['x-forwarded-proto'] = new URL(entry.tenant.issuer).protocol.slice(0, -1);
    delete raw.headers['x-forwarded-host'];
    await entry.provider.callback()(request as IncomingMessage, response as ServerResponse);
  };

  mountRawHandler(app, {
    prefix: '/t/:tenant',
    handler: async (request, response) => {
      const url = request.url ?? '/';
      const match = /^\/t\/([^/?#]+)(.*)$/s.exec(url);
      if (!match) return notFound(response);
      let inner = match[2] ?? '';
      if (inner === '' || inner.startsWith('?')) inner = `/${inner}`;
      // RFC 8414's suffix under the issuer path is not a spec location, but costs nothing to answer.
      if (inner.startsWith('/.well-known/oauth-authorization-server')) inner = inner.replace('/.well-known/oauth-authorization-server', DISCOVERY);
      await dispatch(request, response, decodeURIComponent(match[1] ?? ''), inner);
    },
  });

  for (const wellKnown of ['/.well-known/oauth-authorization-server', DISCOVERY]) {
    mountRawHandler(app, {
      prefix: wellKnown,
      handler: async (request, response) => {
        const url = request.url ?? '/';
        const match = new RegExp(`^${wellKnown.replaceAll('.', '\\.')}/t/([^/?#]+)/?(\\?.*)?$`).exec(url);
        if (!match || (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS')) return notFound(response);
        await dispatch(request, response, decodeURIComponent(match[1] ?? ''), `${DISCOVERY}${match[2] ?? ''}`);
      },
    });
  }
}
