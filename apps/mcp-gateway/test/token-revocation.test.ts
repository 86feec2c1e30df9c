import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { GRANT_REVOKED_CHANNEL, revokedClientKey, type ClientRevokedEvent } from '@airlock/contracts';
import type { StartedApp } from '@airlock/platform';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { initializeBody, post } from './support/raw-mcp.js';

// Service (client_credentials) tokens at the gateway: when their client is deleted or disabled the auth
// server publishes a client revocation epoch on the revocation feed (hot-store marker + GRANT_REVOKED_CHANNEL,
// exactly as here); every replica must refuse the client's tokens within a second. (A single revoked cc
// token carries `grant_id: cc.<jti>` and dies like any revoked grant: auth-server's service-token test.)
// A token without `mcp` opens nothing.

const now = () => Math.floor(Date.now() / 1000);

/** A replica's own URL for the same endpoint (the public URL names replica A). */
const on = (replica: StartedApp, url: string) => {
  const target = new URL(url);
  target.host = new URL(replica.url).host;
  return target.toString();
};

describe('service token revocation at the gateway', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let a: StartedApp;
  let b: StartedApp;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    a = world.gateway;
    b = await world.startReplica();
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  /** A client_credentials token as the auth server issues it for an MCP endpoint. */
  async function serviceToken(url: string, clientId: string, scope = 'mcp') {
    const grantId = `cc.${randomUUID()}`;
    return { token: await world.token(url, { clientId, subject: clientId, grantId, scope }) };
  }

  async function connect(url: string, token: string): Promise<Client> {
    const client = new Client({ name: 'service-token-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  /** Until both replicas refuse the token on a new initialize (polled: propagation is asynchronous). */
  async function refusedEverywhere(url: string, token: string) {
    await vi.waitFor(
      async () => {
        for (const replica of [a, b]) {
          const response = await post(on(replica, url), initializeBody(), { authorization: `Bearer ${token}` });
          expect(response.status).toBe(401);
          expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
        }
      },
      { timeout: 1_000, interval: 10 },
    );
  }

  it('a deleted client: its live session stops working on every replica and it cannot initialize again', async () => {
    const url = world.aggregatedUrl;
    const clientId = `svc-${randomUUID()}`;
    const { token } = await serviceToken(url, clientId);
    const other = await serviceToken(url, `svc-${randomUUID()}`);
    const client = await connect(url, token);
    const bystander = await connect(url, other.token);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);

    const event: ClientRevokedEvent = { tenant: world.tenant, clientId, reason: 'client_deleted', revokedBefore: now(), notAfter: now() + 660 };
    await world.hot.set(revokedClientKey(world.tenant, clientId), JSON.stringify(event), { ttlMs: 660_000 });
    await world.hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify(event));

    await refusedEverywhere(url, token);
    await expect(client.listTools()).rejects.toThrow(/401|invalid_token|Unauthorized/i);
    // Another client's session is untouched.
    expect((await bystander.listTools()).tools.length).toBeGreaterThan(0);
    await Promise.all([client.close(), bystander.close()].map((closing) => closing.catch(() => undefined)));
  });

  it('a token without the mcp scope cannot initialize (403 insufficient_scope) nor make 2026-07-28 requests', async () => {
    const url = world.serverUrl('web');
    const { token } = await serviceToken(url, `svc-${randomUUID()}`, 'files:read');
    for (const replica of [a, b]) {
      const response = await post(on(replica, url), initializeBody(), { authorization: `Bearer ${token}` });
      expect(response.status).toBe(403);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain('scope="mcp"');
      expect(challenge).toContain('resource_metadata="');
      expect(response.headers.get('mcp-session-id')).toBeNull();
    }
    await expect(connect(url, token)).rejects.toThrow();

    const modern = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    expect(modern.status).toBe(403);
    expect(modern.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});
