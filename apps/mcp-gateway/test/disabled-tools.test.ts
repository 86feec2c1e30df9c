import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';

// A tool an admin disabled (tools.enabled = false, PATCH .../servers/{name}/tools/{tool} {enabled:false})
// is absent from tools/list and refused on tools/call exactly as a tool the upstream does not have, on the
// per-server and the aggregated endpoint, in both protocol eras, through the real gateway and a real upstream.

const MODERN = '2026-07-28';

type Caller = {
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<{ isError?: unknown }>;
  close(): Promise<void>;
};

describe('a disabled tool', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let next: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    const serverId = await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, enabled, updated_at) VALUES (gen_random_uuid(), $1, $2, 'slow', false, now())`,
      [world.tenantId, serverId],
    );
    // A 2026-07-28 upstream, whose answers the gateway otherwise relays byte for byte.
    next = await startNextFixture();
    const nextId = await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE id = $2', [MODERN, nextId]);
    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, enabled, updated_at) VALUES (gen_random_uuid(), $1, $2, 'test_image_content', false, now())`,
      [world.tenantId, nextId],
    );
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
    await next?.stop();
  });

  async function legacy(url: string): Promise<Caller> {
    const client = new Client({ name: 'disabled-tools', version: '1.0.0' });
    const token = await world.token(url);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client as unknown as Caller;
  }

  async function modern(url: string): Promise<Caller> {
    const client = new ModernClient({ name: 'disabled-tools', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    const token = await world.token(url);
    await client.connect(new ModernHttpTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
    return client as unknown as Caller;
  }

  const refusal = async (client: Caller, name: string) => {
    try {
      await client.callTool({ name, arguments: { ms: 1 } });
    } catch (error) {
      return { code: (error as { code?: unknown }).code, message: String((error as Error).message) };
    }
    throw new Error(`${name} was not refused`);
  };

  const cases = [
    { era: '2025-11-25', endpoint: 'server', connect: legacy },
    { era: '2025-11-25', endpoint: 'aggregated', connect: legacy },
    { era: MODERN, endpoint: 'server', connect: modern },
    { era: MODERN, endpoint: 'aggregated', connect: modern },
  ] as const;

  for (const { era, endpoint, connect } of cases) {
    it(`is absent from tools/list and unknown to tools/call (${era}, ${endpoint} endpoint)`, async () => {
      const client = await connect(endpoint === 'server' ? world.serverUrl('web') : world.aggregatedUrl);
      try {
        const prefix = endpoint === 'server' ? '' : 'web__';
        const names = (await client.listTools()).tools.map((tool) => tool.name);
        expect(names).toContain(`${prefix}echo`);
        expect(names).not.toContain(`${prefix}slow`);
        const disabled = await refusal(client, `${prefix}slow`);
        const unknown = await refusal(client, `${prefix}no_such_tool`);
        expect(disabled.code).toBe(-32602);
        expect(disabled.code).toBe(unknown.code);
        expect(disabled.message).toBe(unknown.message.replace('no_such_tool', 'slow'));
        // Tools left enabled still run.
        expect((await client.callTool({ name: `${prefix}echo`, arguments: { text: 'hi' } })).isError).toBeFalsy();
      } finally {
        await client.close();
      }
    });
  }

  it('is absent and unknown on a 2026-07-28 upstream too (per-server endpoint, relayed answers)', async () => {
    const client = await modern(world.serverUrl('next'));
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('test_simple_text');
      expect(names).not.toContain('test_image_content');
      const disabled = await refusal(client, 'test_image_content');
      const unknown = await refusal(client, 'no_such_tool');
      expect(disabled.code).toBe(unknown.code);
      expect(disabled.message).toBe(unknown.message.replace('no_such_tool', 'test_image_content'));
    } finally {
      await client.close();
    }
  });
});
