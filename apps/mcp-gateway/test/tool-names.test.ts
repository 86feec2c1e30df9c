import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// Per-tool scopes are looked up by the exact tool name. An upstream that normalises names (the fixture
// with --normalise-tool-names runs `secret_op` for `SECRET_OP` or ` secret_op`) must not let a variant
// through without the scope: the gateway calls only names the upstream listed exactly, and refuses the
// rest with the spec's -32602 "Unknown tool", before anything reaches the upstream. Both protocol eras,
// both endpoints (aggregated and per-server).

const MODERN = '2026-07-28';

type Caller = { call(name: string): Promise<{ text: string }>; close(): Promise<void> };

describe('tool names are matched exactly against the upstream tool list', () => {
  let world: GatewayWorld;
  let vault: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    vault = await startFixtureProcess(['--normalise-tool-names']);
    const vaultId = await world.addUpstream({ name: 'vault', transport: 'http', url: vault.url });
    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES (gen_random_uuid(), $1, $2, 'secret_op', ARRAY['tools:secret'], now())`,
      [world.tenantId, vaultId],
    );
  });
  afterAll(async () => {
    await world?.close();
    await vault?.stop();
  });

  const textOf = (result: Record<string, unknown>) => String((result['content'] as Array<{ text?: unknown }> | undefined)?.[0]?.text);

  async function legacyClient(url: string, scope: string): Promise<Caller> {
    const client = new Client({ name: 'tool-names', version: '1.0.0' });
    const token = await world.token(url, { scope });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return { call: async (name) => ({ text: textOf(await client.callTool({ name, arguments: {} })) }), close: () => client.close() };
  }

  async function modernClient(url: string, scope: string): Promise<Caller> {
    const client = new ModernClient({ name: 'tool-names', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    const token = await world.token(url, { scope });
    await client.connect(new ModernHttpTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
    return { call: async (name) => ({ text: textOf(await client.callTool({ name, arguments: {} })) }), close: () => client.close() };
  }

  const cases = [
    { era: '2025-11-25', endpoint: 'aggregated', connect: legacyClient },
    { era: '2025-11-25', endpoint: 'server', connect: legacyClient },
    { era: MODERN, endpoint: 'aggregated', connect: modernClient },
    { era: MODERN, endpoint: 'server', connect: modernClient },
  ] as const;

  for (const { era, endpoint, connect } of cases) {
    it(`${era} on the ${endpoint} endpoint: variants are -32602 Unknown tool and never run; the exact name needs the scope`, { timeout: 60_000 }, async () => {
      const url = endpoint === 'aggregated' ? world.aggregatedUrl : world.serverUrl('vault');
      const named = (name: string) => (endpoint === 'aggregated' ? `vault__${name}` : name);
      const runs = async (caller: Caller) => Number((await caller.call(named('secret_op_runs'))).text);

      const unscoped = await connect(url, 'mcp');
      try {
        const before = await runs(unscoped);
        for (const variant of ['SECRET_OP', ' secret_op', 'no_such_tool']) {
          const refused = await unscoped.call(named(variant)).then(
            () => undefined,
            (error: unknown) => error as { code?: unknown; message?: unknown },
          );
          expect(refused?.code, variant).toBe(-32602);
          expect(String(refused?.message)).toContain(`Unknown tool: ${named(variant)}`);
        }
        // The exact name is the scoped tool: the existing refusal (403 insufficient_scope).
        await expect(unscoped.call(named('secret_op'))).rejects.toThrow(/403|insufficient[_ ]scope/i);
        expect(await runs(unscoped)).toBe(before);
      } finally {
        await unscoped.close();
      }

      const scoped = await connect(url, 'mcp tools:secret');
      try {
        const before = await runs(scoped);
        expect((await scoped.call(named('secret_op'))).text).toBe('secret done');
        expect(await runs(scoped)).toBe(before + 1);
      } finally {
        await scoped.close();
      }
    });
  }
});
