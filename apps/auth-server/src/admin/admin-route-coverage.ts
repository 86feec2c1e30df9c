import type { FastifyInstance } from 'fastify';
import { adminRoutes, adminRouteUrl, type AdminRouteDefinition } from '@airlock/contracts';

/** A route as Fastify registered it: `GET /admin/v1/tenants/:tenant`. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/** The server has a route under /admin/ that the route table (hence the OpenAPI document) does not describe. */
export class UndocumentedAdminRouteError extends Error {
  constructor(readonly routes: readonly string[]) {
    super(`admin routes without an entry in adminRoutes (@airlock/contracts), so without a schema or documentation: ${routes.join(', ')}`);
    this.name = 'UndocumentedAdminRouteError';
  }
}

const isAdminUrl = (url: string) => url === '/admin' || url.startsWith('/admin/');

/**
 * The routes under /admin/ that have no entry in the table. The HEAD route Fastify adds beside every GET
 * counts as that GET's.
 */
export function undocumentedAdminRoutes(registered: readonly RegisteredRoute[], table: readonly AdminRouteDefinition[] = Object.values(adminRoutes)): string[] {
  const documented = new Set(table.map((route) => `${route.method} ${adminRouteUrl(route)}`));
  return registered
    .filter((route) => isAdminUrl(route.url) && !documented.has(`${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`))
    .map((route) => `${route.method} ${route.url}`);
}

/**
 * Watches every route registered on the server (install before any exists) and fails its start, before
 * it listens, when one under /admin/ has no entry in the route table: a route without a schema cannot
 * ship, whichever way it was added (a Nest decorator or a raw Fastify route).
 */
export function guardAdminRouteCoverage(fastify: FastifyInstance, table?: readonly AdminRouteDefinition[]): { registered(): readonly RegisteredRoute[] } {
  const registered: RegisteredRoute[] = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (isAdminUrl(route.url)) registered.push({ method, url: route.url });
  });
  fastify.addHook('onReady', async () => {
    const missing = undocumentedAdminRoutes(registered, table);
    if (missing.length > 0) throw new UndocumentedAdminRouteError(missing);
  });
  return { registered: () => [...registered] };
}
