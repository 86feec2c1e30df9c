import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// A tool an admin disabled (tools.enabled = false, PATCH .../servers/{name}/tools/{tool} {enabled:false})
// is absent from tools/list and refused on tools/call exactly as a tool the upstream does not have, on the
// per-server and the aggregated endpoint, through the real gateway and a real upstream.

describe('a disabled tool', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    const serverId = await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, enabled, updated_at) VALUES (gen_random_uuid(), $1, $2, 'slow', false, now())`,
      [world.tenantId, serverId],
    );
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  async function connect(url: string): Promise<Client> {
    const client = new Client({ name: 'disabled-tools', version: '1.0.0' });
    const token = await world.token(url);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  const refusal = async (client: Client, name: string) => {
    try {
      await client.callTool({ name, arguments: { ms: 1 } });
    } catch (error) {
      return { code: (error as { code?: unknown }).code, message: String((error as Error).message) };
    }
    throw new Error(`${name} was not refused`);
  };

  for (const endpoint of ['server', 'aggregated'] as const) {
    it(`is absent from tools/list and unknown to tools/call (${endpoint} endpoint)`, async () => {
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
});
