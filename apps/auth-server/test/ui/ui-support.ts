import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { createMemoryHotStore, createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import type { TenantRecord } from '../../src/tenants/tenant-record.js';

// Shared helpers of the auth-ui tests (login, consent, account, metadata documents, registration).

/** Real Redis with a unique prefix when REDIS_URL is set, the in-process store otherwise. */
export function createUiTestHotStore(): HotStore {
  const url = process.env['REDIS_URL'];
  const keyPrefix = `test:auth-ui:${randomBytes(6).toString('hex')}:`;
  return url ? createRedisHotStore({ url, keyPrefix }) : createMemoryHotStore({ keyPrefix });
}

export async function insertTenant(pg: Pool, slug: string, options: { registrationPolicy?: 'open' | 'initial_access_token' | 'off'; issuerBase?: string } = {}): Promise<TenantRecord> {
  const id = randomUUID();
  const policy = options.registrationPolicy ?? 'open';
  await pg.query(
    `INSERT INTO tenants (id, slug, display_name, registration_policy, updated_at) VALUES ($1, $2, $3, $4, now())`,
    [id, slug, `Tenant ${slug}`, policy],
  );
  return { id, slug, displayName: `Tenant ${slug}`, registrationPolicy: policy, accessTokenTtl: 600, issuer: `${options.issuerBase ?? 'http://localhost:3000'}/t/${slug}` };
}

export type Route = (req: IncomingMessage, res: ServerResponse, base: string) => void;

/** A plain HTTP server on 127.0.0.1 with a route table; counts hits per path. */
export async function startRouteServer(routes: Record<string, Route>): Promise<{ base: string; port: number; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (!route) {
      res.statusCode = 404;
      res.end();
      return;
    }
    route(req, res, base);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://localhost:${port}`;
  return {
    base,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
