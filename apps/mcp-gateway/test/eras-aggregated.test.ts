import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { auditBatchSchema, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// Protocol revision 2026-07-28 on the aggregated endpoint `/t/<tenant>/mcp`: names namespaced as on the
// 2025-11-25 path, each call routed to its upstream (a 2026-07-28 one directly, a 2025-11-25 one bridged).

const MODERN = '2026-07-28';

describe('2026-07-28 clients on the aggregated endpoint', () => {
  let world: GatewayWorld;
  let next: { url: string; stop(): Promise<void> };
  let legacy: FixtureProcess;
  const audited: AuditEvent[] = [];

  beforeAll(async () => {
    world = await startGatewayWorld();
    world.queues.work<unknown>(Queues.audit, async (job) => void audited.push(...auditBatchSchema.parse(job.data).events));
    next = await startNextFixture();
    legacy = await startFixtureProcess();
    const nextId = await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [MODERN, world.tenantId, 'next']);
    await world.addUpstream({ name: 'legacy', transport: 'http', url: legacy.url });
    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES (gen_random_uuid(), $1, $2, 'echo', ARRAY['tools:echo'], now())`,
      [world.tenantId, nextId],
    );
  });
  afterAll(async () => {
    await world?.close();
    await next?.stop();
    await legacy?.stop();
  });

  async function connect(scope = 'mcp') {
    const client = new ModernClient({ name: 'eras-aggregated-test', version: '1.0.0' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: MODERN } } });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String((request.params as { message?: unknown }).message));
      return { action: 'accept', content: { username: 'alice', email: 'alice@example.com' } } as never;
    });
    const token = await world.token(world.aggregatedUrl, { scope });
    await client.connect(new ModernHttpTransport(new URL(world.aggregatedUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return { client, asked };
  }

  it('SDK 2.x client: lists both upstreams namespaced and calls each, the 2025 one with an elicitation round trip', { timeout: 60_000 }, async () => {
    const { client, asked } = await connect('mcp tools:echo');
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      // The SDK walks every page itself when no cursor is given.
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['next__echo', 'next__confirm_action', 'legacy__test_simple_text', 'legacy__test_elicitation']));
      expect(names.every((name) => name.startsWith('next__') || name.startsWith('legacy__'))).toBe(true);
      const echoed = await client.callTool({ name: 'next__echo', arguments: { text: 'hi' } });
      expect(echoed.isError ?? false).toBe(false);
      const simple = await client.callTool({ name: 'legacy__test_simple_text', arguments: {} });
      expect(simple.isError ?? false).toBe(false);
      const elicited = await client.callTool({ name: 'legacy__test_elicitation', arguments: { message: 'Who are you?' } });
      expect(asked).toEqual(['Who are you?']);
      expect(elicited.content).toEqual([{ type: 'text', text: 'User response: action=accept, content={"username":"alice","email":"alice@example.com"}' }]);
    } finally {
      await client.close();
    }
  });

  it('progress: a progressToken makes the answer SSE, progress of either era first and the response last', { timeout: 60_000 }, async () => {
    const { client } = await connect();
    try {
      for (const name of ['next__test_tool_with_progress', 'legacy__test_tool_with_progress']) {
        const progress: number[] = [];
        const result = await client.callTool({ name, arguments: {} }, { onprogress: (update) => void progress.push(update.progress) });
        expect(result.isError ?? false).toBe(false);
        expect(progress).toEqual([0, 50, 100]);
      }
    } finally {
      await client.close();
    }
    const token = await world.token(world.aggregatedUrl);
    const response = await fetch(world.aggregatedUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'next__test_tool_with_progress',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'next__test_tool_with_progress', arguments: {}, _meta: { ...envelope, progressToken: 'p-1' } },
      }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const messages = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5)) as { id?: unknown; method?: string; params?: { progressToken?: unknown; progress?: number }; result?: { resultType?: string } });
    expect(messages.map((message) => message.method ?? `response ${String(message.id)}`)).toEqual([
      'notifications/progress',
      'notifications/progress',
      'notifications/progress',
      'response 5',
    ]);
    expect(messages.slice(0, 3).map((message) => [message.params?.progressToken, message.params?.progress])).toEqual([
      ['p-1', 0],
      ['p-1', 50],
      ['p-1', 100],
    ]);
    expect(messages[3]?.result?.resultType).toBe('complete');
  });

  const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
  async function post(token: string, name: string) {
    const response = await fetch(world.aggregatedUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': name,
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: { text: 'x' }, _meta: envelope } }),
    });
    const text = await response.text();
    return { response, json: (text ? JSON.parse(text) : {}) as { id?: unknown; error?: { code: number; message: string }; result?: Record<string, unknown> } };
  }

  it('one tools/list holds both upstreams (servers in name order), no cursor to follow; a forged cursor is -32602', async () => {
    const token = await world.token(world.aggregatedUrl);
    const list = async (cursor?: string) => {
      const response = await fetch(world.aggregatedUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { ...(cursor ? { cursor } : {}), _meta: envelope } }),
      });
      return (await response.json()) as { result?: { tools: Array<{ name: string }>; nextCursor?: string; resultType: string }; error?: { code: number } };
    };
    const first = await list();
    expect(first.error).toBeUndefined();
    expect(first.result?.resultType).toBe('complete');
    expect(first.result?.nextCursor).toBeUndefined();
    expect([...new Set(first.result?.tools.map((tool) => tool.name.split('__')[0]))]).toEqual(['legacy', 'next']);
    expect((await list('not-a-cursor')).error?.code).toBe(-32602);
  });

  it('an unknown namespaced name is a JSON-RPC -32602 error (unknown server, unknown separator-less name)', async () => {
    const token = await world.token(world.aggregatedUrl);
    for (const name of ['nowhere__echo', 'echo']) {
      const { response, json } = await post(token, name);
      expect(response.status).toBe(200);
      expect(json.id).toBe(7);
      expect(json.error?.code).toBe(-32602);
      expect(json.error?.message).toContain(name);
    }
  });

  it('a tool needing a scope the token lacks: 403 insufficient_scope; with the scope it runs on its upstream', async () => {
    const refused = await post(await world.token(world.aggregatedUrl), 'next__echo');
    expect(refused.response.status).toBe(403);
    expect(refused.response.headers.get('www-authenticate')).toContain('insufficient_scope');
    const allowed = await post(await world.token(world.aggregatedUrl, { scope: 'mcp tools:echo' }), 'next__echo');
    expect(allowed.response.status).toBe(200);
    expect(allowed.json.result?.['resultType']).toBe('complete');
  });

  it('audits every finished tool call once, on both endpoints and both upstream eras (an input_required round is not a call)', { timeout: 60_000 }, async () => {
    const subject = 'auditor';
    const token = await world.token(world.aggregatedUrl, { scope: 'mcp tools:echo', subject });
    const client = new ModernClient({ name: 'eras-audit-test', version: '1.0.0' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: MODERN } } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'decline' }) as never);
    await client.connect(new ModernHttpTransport(new URL(world.aggregatedUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const direct = new ModernClient({ name: 'eras-audit-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    const nextToken = await world.token(world.serverUrl('next'), { scope: 'mcp tools:echo', subject });
    await direct.connect(new ModernHttpTransport(new URL(world.serverUrl('next')), { requestInit: { headers: { authorization: `Bearer ${nextToken}` } } }));
    try {
      await client.callTool({ name: 'next__echo', arguments: { text: 'a' } });
      await client.callTool({ name: 'legacy__test_simple_text', arguments: {} });
      await client.callTool({ name: 'legacy__test_elicitation', arguments: { message: 'Who?' } });
      await direct.callTool({ name: 'echo', arguments: { text: 'b' } });
    } finally {
      await client.close();
      await direct.close();
    }
    const mine = () => audited.filter((event) => event.actor.subject === subject);
    await expect.poll(() => mine().length, { timeout: 10_000 }).toBe(4);
    expect(mine().map((event) => event.target).sort()).toEqual(['legacy/test_elicitation', 'legacy/test_simple_text', 'next/echo', 'next/echo']);
    for (const event of mine()) {
      expect(event).toMatchObject({ tenant: world.tenant, action: 'mcp.tools.call', outcome: 'success', details: { protocolVersion: MODERN } });
      expect(event.actor.clientId).toBeTruthy();
    }
  });
});
