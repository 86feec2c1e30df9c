import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_CHANGED_CHANNEL } from '@airlock/contracts';
import type { CatalogChangedEvent } from '@airlock/contracts';
import type { StartedApp } from '@airlock/platform';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { initializeBody, openSession, post } from './support/raw-mcp.js';

// The catalogue cache is set to ten minutes here, so only the auth server's CATALOG_CHANGED_CHANNEL event
// (published from another hot-store connection, as the auth server would) can make a change visible.

const call = (id: number, name: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { ms: 1 } } });

/** Retries until `check` passes; pub/sub delivery to another connection is asynchronous. */
async function eventually(check: () => Promise<void>, attempts = 100): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('catalogue changes published by the auth server', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let replicas: StartedApp[];
  let serverId: string;
  let token: string;
  const onReplica = (replica: StartedApp, url: string) => {
    const target = new URL(url);
    target.host = new URL(replica.url).host;
    return target.toString();
  };
  const publish = (event: CatalogChangedEvent) => world.hot.peer().publish(CATALOG_CHANGED_CHANNEL, JSON.stringify(event));

  beforeAll(async () => {
    world = await startGatewayWorld({ catalogCacheMs: 10 * 60_000 });
    fixture = await startFixtureProcess();
    serverId = await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    replicas = [world.gateway, await world.startReplica()];
    token = await world.token(world.serverUrl('web'));
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('enforces a newly required tool scope on every replica once the change is published', async () => {
    const sessions = await Promise.all(replicas.map((replica) => openSession(onReplica(replica, world.serverUrl('web')), token)));
    const slow = (index: number, id: number) =>
      post(onReplica(replicas[index]!, world.serverUrl('web')), call(id, 'slow'), {
        authorization: `Bearer ${token}`,
        'mcp-session-id': sessions[index]!,
        'mcp-protocol-version': '2025-11-25',
      });
    // Warm each replica's cache: the tool needs no scope yet. The first sighting pins the tool's definition
    // (a write that drops the writer's cache), so wait for the pin and warm again before changing the scope.
    for (const index of [0, 1]) expect((await slow(index, 1)).status).toBe(200);
    await eventually(async () => {
      const { rows } = await world.db.pg.query(`SELECT 1 FROM tools WHERE server_id = $1 AND name = 'slow' AND seen_hash IS NOT NULL`, [serverId]);
      expect(rows).toHaveLength(1);
    });
    for (const index of [0, 1]) expect((await slow(index, 1)).status).toBe(200);

    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES (gen_random_uuid(), $1, $2, 'slow', ARRAY['tools:slow'], now())
       ON CONFLICT (server_id, name) DO UPDATE SET required_scopes = EXCLUDED.required_scopes, updated_at = now()`,
      [world.tenantId, serverId],
    );
    // Unannounced, the cached catalogue still holds: the event below is what makes the difference.
    for (const index of [0, 1]) expect((await slow(index, 2)).status).toBe(200);

    await publish({ tenant: world.tenant, server: 'web' });
    for (const index of [0, 1]) {
      await eventually(async () => {
        const response = await slow(index, 3);
        expect(response.status).toBe(403);
        expect(response.headers.get('www-authenticate')).toContain('scope="tools:slow"');
      });
    }
  });

  it('stops serving a removed server on every replica once the change is published', async () => {
    const other = await world.addUpstream({ name: 'other', transport: 'http', url: fixture.url });
    const url = world.serverUrl('other');
    const otherToken = await world.token(url);
    // A new server is not served before its creation is announced either.
    expect((await post(onReplica(replicas[1]!, url), initializeBody(), { authorization: `Bearer ${otherToken}` })).status).toBe(404);
    await publish({ tenant: world.tenant, server: 'other' });
    const sessions: string[] = [];
    for (const replica of replicas) await eventually(async () => void sessions.push(await openSession(onReplica(replica, url), otherToken)));

    await world.db.pg.query('DELETE FROM upstream_servers WHERE id = $1', [other]);
    await publish({ tenant: world.tenant });
    for (const [index, replica] of replicas.entries()) {
      await eventually(async () => {
        expect((await post(onReplica(replica, url), call(1, 'echo'), { authorization: `Bearer ${otherToken}`, 'mcp-session-id': sessions[index]!, 'mcp-protocol-version': '2025-11-25' })).status).toBe(404);
      });
      // New sessions are refused too.
      const initialize = await post(onReplica(replica, url), initializeBody(), {
        authorization: `Bearer ${otherToken}`,
      });
      expect(initialize.status).toBe(404);
    }
  });

  it('forgets a deleted tenant on every replica once the change is published', async () => {
    const url = world.aggregatedUrl;
    const aggregatedToken = await world.token(url);
    for (const replica of replicas) await openSession(onReplica(replica, url), aggregatedToken);

    await world.db.pg.query('DELETE FROM tenants WHERE id = $1', [world.tenantId]);
    await publish({ tenant: world.tenant });
    for (const replica of replicas) {
      await eventually(async () => {
        const response = await post(onReplica(replica, url), initializeBody(), {
          authorization: `Bearer ${aggregatedToken}`,
        });
        expect(response.status).toBe(404);
      });
    }
  });
});
