import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as Client2026, StreamableHTTPClientTransport as Transport2026 } from '@modelcontextprotocol/client';
import { Client as Client2025 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Transport2025 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ToolCallObserver } from '../src/observe/tool-call-observer.js';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import { RecordingObserver } from './support/recording-observer.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { post } from './support/raw-mcp.js';

// A `before` hook may veto a tools/call (policy): the client gets a JSON-RPC error, the call never goes
// upstream, and every observer's `after` sees it refused with the veto's reason. A tools/call refused at
// the edge for its token (401) is observed too, from the body of the refused request.

const policy: ToolCallObserver = {
  before: (call, refuse) => {
    if (call.tool === 'test_simple_text') refuse('policy_denied', 'Refused by policy: test_simple_text');
  },
};

type CallTool = (name: string, args?: Record<string, unknown>) => Promise<unknown>;

const connect = {
  async '2025-11-25'(url: string, token: string): Promise<{ callTool: CallTool; close(): Promise<void> }> {
    const client = new Client2025({ name: 'veto-test', version: '1.0.0' });
    await client.connect(new Transport2025(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return { callTool: (name, args = {}) => client.callTool({ name, arguments: args }).catch((error: unknown) => error), close: () => client.close() };
  },
  async '2026-07-28'(url: string, token: string): Promise<{ callTool: CallTool; close(): Promise<void> }> {
    const client = new Client2026({ name: 'veto-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new Transport2026(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return { callTool: (name, args = {}) => client.callTool({ name, arguments: args }).catch((error: unknown) => error), close: () => client.close() };
  },
};

describe('tool-call observer: veto from before, and 401 refusals observed', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  const recorder = new RecordingObserver();

  beforeAll(async () => {
    world = await startGatewayWorld({ toolCallObservers: [policy, recorder] }, {}, { logLevel: 'error' });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  for (const era of ['2025-11-25', '2026-07-28'] as const) {
    for (const endpoint of ['per-server', 'aggregated'] as const) {
      it(`${era}, ${endpoint}: a vetoed call is answered the refusal and never runs; the next call runs`, async () => {
        const subject = `veto-${era}-${endpoint}`;
        const url = endpoint === 'per-server' ? world.serverUrl('web') : world.aggregatedUrl;
        const prefix = endpoint === 'per-server' ? '' : 'web__';
        const client = await connect[era](url, await world.token(url, { subject }));
        const refused = await client.callTool(`${prefix}test_simple_text`);
        expect(refused).toBeInstanceOf(Error);
        expect((refused as Error).message).toContain('Refused by policy: test_simple_text');
        expect(await client.callTool(`${prefix}echo`, { text: 'hi' })).not.toBeInstanceOf(Error);
        await client.close().catch(() => undefined);

        const mine = recorder.afters.filter(({ call }) => call.subject === subject);
        expect(mine.map(({ call, outcome }) => [call.era, call.server, call.tool, outcome.kind, outcome.reason])).toEqual([
          [era, 'web', 'test_simple_text', 'refused', 'policy_denied'],
          [era, 'web', 'echo', 'result', undefined],
        ]);
        expect(recorder.befores.filter((call) => call.subject === subject).map((call) => call.tool)).toEqual(['echo']);
      });
    }
  }

  it('a tools/call refused 401 (no token, bad token) is observed as refused `unauthorized` in either era; other methods are not', async () => {
    const url = world.serverUrl('web');
    const call2025 = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } });
    const call2026 = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'test_simple_text', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    });
    const before = recorder.afters.length;
    expect((await post(url, call2025, { 'mcp-session-id': 'whatever', 'mcp-protocol-version': '2025-11-25' })).status).toBe(401);
    expect((await post(url, call2026, { authorization: 'Bearer not-a-token', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'test_simple_text' })).status).toBe(401);
    expect((await post(world.aggregatedUrl, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }), {})).status).toBe(401);
    const observed = recorder.afters.slice(before);
    expect(observed.map(({ call, outcome }) => [call.era, call.server, call.tool, call.subject, call.sessionId, outcome.kind, outcome.reason])).toEqual([
      ['2025-11-25', 'web', 'echo', undefined, undefined, 'refused', 'unauthorized'],
      ['2026-07-28', 'web', 'test_simple_text', undefined, undefined, 'refused', 'unauthorized'],
    ]);
  });
});
