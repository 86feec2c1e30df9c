import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListPromptsResultSchema, ToolListChangedNotificationSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { Queues } from '@airlock/contracts';
import { TcpProxy } from '@airlock/testing';
import type { AuditBatch, AuditEvent } from '@airlock/contracts';
import { FIXTURE_MAIN, startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { jsonRpcResult, openSession, post, readEvents } from './support/raw-mcp.js';

async function connect(world: GatewayWorld, url: string): Promise<Client> {
  const client = new Client({ name: 'hosting', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${await world.token(url)}` } } }));
  return client;
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A bare SDK Streamable HTTP server in this process (JSON or SSE answers), whose `hold` tool waits until
 * it is cancelled and records that it was: what the relay to http upstreams must keep working.
 */
async function startSdkUpstream(json: boolean) {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const cancelled: string[] = [];
  const started: string[] = [];
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (!transport && req.method === 'POST' && isInitializeRequest(body)) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: json,
        onsessioninitialized: (id) => void transports.set(id, created),
      });
      const server = new McpServer({ name: 'sdk-upstream', version: '1.0.0' });
      server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
      server.registerTool('fail', {}, async () => ({ isError: true, content: [{ type: 'text', text: 'tool failed' }] }));
      server.registerTool('hold', { inputSchema: { tag: z.string() } }, ({ tag }, extra) => {
        started.push(tag);
        return new Promise((resolve) =>
          extra.signal.addEventListener('abort', () => {
            cancelled.push(tag);
            resolve({ content: [{ type: 'text', text: 'cancelled' }] });
          }),
        );
      });
      await server.connect(created);
      transport = created;
    }
    if (!transport) {
      res.writeHead(sessionId ? 404 : 400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32000,"message":"no session"},"id":null}');
      return;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    cancelled,
    started,
    /** Forgets every session, as a restarted server would: their next requests get 404. */
    forgetSessions: () => transports.clear(),
    close: async () => {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('hosting upstream servers', () => {
  let world: GatewayWorld;
  let paged: FixtureProcess;
  let upstreamAs: TcpProxy;
  let fragile: FixtureProcess;
  let webId: string;
  const audited: AuditEvent[] = [];
  const sdkUpstreams: Array<{ mode: 'json' | 'sse'; upstream: Awaited<ReturnType<typeof startSdkUpstream>> }> = [];

  beforeAll(async () => {
    world = await startGatewayWorld();
    paged = await startFixtureProcess(['--page-size', '4']);
    webId = await world.addUpstream({ name: 'web', transport: 'http', url: paged.url });
    await world.addUpstream({ name: 'local', transport: 'stdio', command: process.execPath, args: [FIXTURE_MAIN, '--stdio', '--page-size', '5'] });
    // The upstream's authorization server, reached on its own port: the issuer's own address is the gateway's
    // auth server, which the egress policy never lets a tenant's token URL name.
    const issuerUrl = new URL(world.issuer.issuer(world.tenant));
    upstreamAs = new TcpProxy(issuerUrl.hostname, Number(issuerUrl.port));
    await upstreamAs.start();
    world.issuer.registerClient(world.tenant, { clientId: 'gateway-at-upstream', secret: 'upstream-client-secret', scopes: ['upstream:read'] });
    await world.addUpstream({ name: 'keyed', transport: 'http', url: paged.url, credentialKind: 'static_header', secrets: { header: { name: 'x-api-key', value: 'static-secret-value' } } });
    await world.addUpstream({
      name: 'oauth',
      transport: 'http',
      url: paged.url,
      credentialKind: 'client_credentials',
      secrets: { tokenUrl: `${issuerUrl.protocol}//${issuerUrl.hostname}:${upstreamAs.port}${issuerUrl.pathname}/token`, clientId: 'gateway-at-upstream', clientSecret: 'upstream-client-secret', scope: 'upstream:read' },
    });
    // Registered up front: the gateway caches a tenant's server list for a few seconds.
    fragile = await startFixtureProcess();
    await world.addUpstream({ name: 'fragile', transport: 'http', url: fragile.url });
    for (const mode of ['json', 'sse'] as const) {
      const upstream = await startSdkUpstream(mode === 'json');
      sdkUpstreams.push({ mode, upstream });
      await world.addUpstream({ name: `sdk-${mode}`, transport: 'http', url: upstream.url });
    }
    // The gateway queues its audit records in batches (AuditBatcher).
    world.queues.work<AuditBatch>(Queues.audit, async (job) => void audited.push(...job.data.events));
  });
  afterAll(async () => {
    await world?.close();
    await paged?.stop();
    await upstreamAs?.stop();
    await fragile?.stop();
    for (const { upstream } of sdkUpstreams) await upstream.close();
  });

  it('one tools/list without a cursor holds every tool of every server exactly once, upstream pages walked by the gateway', async () => {
    const client = await connect(world, world.aggregatedUrl);
    const page = await client.listTools();
    const names = page.tools.map((tool) => tool.name);
    expect(page.nextCursor).toBeUndefined();
    const direct = names.filter((name) => name.startsWith('web__')).length;
    expect(direct).toBe(names.filter((name) => name.startsWith('local__')).length);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['web__echo', 'local__echo', 'web__test_simple_text']));
    // Servers in name order.
    const servers = [...new Set(names.map((name) => name.split('__')[0]!))];
    expect(servers).toEqual([...servers].sort());
    await expect(client.listTools({ cursor: 'forged' })).rejects.toThrow(/Invalid cursor/);
    await client.close();
  });

  it('writes the tool catalogue when tools are listed, and audits every tools/call through the queue', async () => {
    const client = await connect(world, world.serverUrl('web'));
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      cursor = page.nextCursor;
    } while (cursor);
    await client.callTool({ name: 'echo', arguments: { text: 'audited' } });
    await client.callTool({ name: 'test_error_handling', arguments: {} });
    const catalogued = await until(async () => {
      const { rows } = await world.db.pg.query<{ name: string }>('SELECT name FROM tools WHERE server_id = $1', [webId]);
      // Written one tool at a time after the list answered: wait for the whole list, not for a count.
      const names = rows.map((row) => row.name);
      return names.includes('echo') && names.includes('test_sampling') ? names : undefined;
    });
    expect(catalogued).toEqual(expect.arrayContaining(['echo', 'test_sampling']));
    const calls = await until(async () => (audited.filter((event) => event.action === 'mcp.tools.call').length >= 2 ? audited : undefined));
    expect(calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tenant: world.tenant, target: 'web/echo', outcome: 'success', actor: { subject: 'alice', clientId: 'client-a' } }),
        expect.objectContaining({ target: 'web/test_error_handling', outcome: 'failure' }),
      ]),
    );
    await client.close();
  });

  it('forwards list-changed notifications from an upstream', async () => {
    const client = await connect(world, world.aggregatedUrl);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve()));
    await client.callTool({ name: 'local__toggle_extra_tool', arguments: {} });
    await changed;
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      all.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toContain('local__extra_tool');
    // The gateway's copy of the upstream's tool list was dropped by the notification: the new tool is callable.
    const extra = await client.callTool({ name: 'local__extra_tool', arguments: {} });
    expect(extra.isError ?? false).toBe(false);
    await client.close();
  });

  it('authenticates to upstreams with their own credentials (static header, client credentials), never the user token', async () => {
    const whoami = async (server: string) => {
      const url = world.serverUrl(server);
      const client = await connect(world, url);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      await client.close();
      return JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as { authorization: string | null; apiKey: string | null };
    };
    expect(await whoami('keyed')).toEqual(expect.objectContaining({ apiKey: 'static-secret-value', authorization: null }));
    const oauth = await whoami('oauth');
    const token = /^Bearer (.+)$/.exec(oauth.authorization ?? '')?.[1];
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString('utf8')) as { aud: string; sub: string; scope: string };
    expect(claims).toMatchObject({ aud: paged.url, sub: 'gateway-at-upstream', scope: 'upstream:read' });
    expect(world.issuer.tokenRequests(world.tenant)).toBe(1);
  });

  it('closes the upstream session when the downstream session ends', async () => {
    const url = world.serverUrl('web');
    const client = await connect(world, url);
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    const upstreamSession = (JSON.parse((whoami.content as Array<{ text: string }>)[0]!.text) as { sessionId: string }).sessionId;
    const probe = () =>
      post(paged.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { 'mcp-session-id': upstreamSession, 'mcp-protocol-version': '2025-11-25' });
    expect((await probe()).status).toBe(200);
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await until(async () => ((await probe()).status === 404 ? true : undefined));
    await client.close();
  });

  it('ends the downstream session (404) when its upstream dies, and a new session works', async () => {
    const url = world.serverUrl('local');
    const token = await world.token(url);
    const sessionId = await openSession(url, token);
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const exit = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'exit_process', arguments: {} } }), headers);
    expect(exit.status).toBe(200);
    await exit.text();
    await until(async () => {
      const response = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), headers);
      await response.body?.cancel();
      return response.status === 404 ? true : undefined;
    });
    const fresh = await connect(world, url);
    expect(await fresh.callTool({ name: 'echo', arguments: { text: 'again' } })).toMatchObject({ content: [{ text: 'again' }] });
    await fresh.close();
  });

  it('ends the downstream session when an http upstream goes away', async () => {
    const url = world.serverUrl('fragile');
    const token = await world.token(url);
    const sessionId = await openSession(url, token);
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await fragile.stop();
    const failed = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }), headers);
    await failed.text();
    await until(async () => {
      const response = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), headers);
      await response.body?.cancel();
      return response.status === 404 ? true : undefined;
    });
  });

  it('relays results, tool errors and JSON-RPC errors of bare SDK upstreams answering JSON or SSE, as sent', async () => {
    for (const { mode } of sdkUpstreams) {
      const client = await connect(world, world.serverUrl(`sdk-${mode}`));
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => client.callTool({ name: 'echo', arguments: { text: `${mode}-${n}` } })));
      expect(results.map((result) => (result.content as Array<{ text: string }>)[0]!.text)).toEqual(Array.from({ length: 20 }, (_, n) => `${mode}-${n}`));
      expect(await client.callTool({ name: 'fail', arguments: {} })).toEqual({ isError: true, content: [{ type: 'text', text: 'tool failed' }] });
      // A method the upstream does not serve: its JSON-RPC error comes back.
      await expect(client.request({ method: 'prompts/list', params: {} }, ListPromptsResultSchema)).rejects.toThrow(/-32601/);
      await client.close();
    }
  });

  it('cancels the upstream call (notifications/cancelled) when the client cancels it', async () => {
    for (const { mode, upstream } of sdkUpstreams) {
      const client = await connect(world, world.serverUrl(`sdk-${mode}`));
      const abort = new AbortController();
      const call = client.callTool({ name: 'hold', arguments: { tag: `${mode}-cancel` } }, undefined, { signal: abort.signal });
      await until(async () => (upstream.started.includes(`${mode}-cancel`) ? true : undefined));
      abort.abort('changed my mind');
      await expect(call).rejects.toThrow();
      await until(async () => (upstream.cancelled.includes(`${mode}-cancel`) ? true : undefined));
      // The session still works after the cancelled call.
      expect(await client.callTool({ name: 'echo', arguments: { text: 'after' } })).toMatchObject({ content: [{ text: 'after' }] });
      await client.close();
    }
  });

  it('ends the downstream session when an http upstream answers 404 for its session (restarted upstream)', async () => {
    const { upstream } = sdkUpstreams.find((entry) => entry.mode === 'json')!;
    const url = world.serverUrl('sdk-json');
    const token = await world.token(url);
    const sessionId = await openSession(url, token);
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const call = (id: number) => post(url, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }), headers);
    const before = await call(1);
    expect(before.status).toBe(200);
    await before.text();
    upstream.forgetSessions();
    const failed = await call(2);
    await failed.text();
    await until(async () => {
      const response = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }), headers);
      await response.body?.cancel();
      return response.status === 404 ? true : undefined;
    });
    // A new session opens a new upstream session and works.
    const fresh = await connect(world, url);
    expect(await fresh.callTool({ name: 'echo', arguments: { text: 'again' } })).toMatchObject({ content: [{ text: 'again' }] });
    await fresh.close();
  });

  it('sends each sampling request of concurrent calls to an http upstream on the stream of the call it belongs to', async () => {
    const url = world.serverUrl('web');
    const token = await world.token(url);
    const init = await post(
      url,
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'raw', version: '1' } } }),
      { authorization: `Bearer ${token}` },
    );
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await (await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers)).text();
    const prompts = await Promise.all(
      [0, 1, 2].map(async (n) => {
        const id = 10 + n;
        const response = await post(url, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'test_sampling', arguments: { prompt: `p${n}` } } }), headers);
        const seen: string[] = [];
        const events = await readEvents(response, (events) => {
          const last = events[events.length - 1];
          const message = last?.data ? (JSON.parse(last.data) as { id?: string | number; method?: string; params?: { messages: Array<{ content: { text: string } }> } }) : undefined;
          if (message?.method === 'sampling/createMessage') {
            seen.push(message.params!.messages[0]!.content.text);
            const answer = { jsonrpc: '2.0', id: message.id, result: { role: 'assistant', model: 'm', content: { type: 'text', text: `answer ${n}` } } };
            void post(url, JSON.stringify(answer), headers).then((posted) => posted.text());
          }
          return jsonRpcResult(events, id) !== undefined;
        });
        expect(jsonRpcResult(events, id)).toMatchObject({ result: { content: [{ text: `LLM response: answer ${n}` }] } });
        return seen;
      }),
    );
    expect(prompts).toEqual([['p0'], ['p1'], ['p2']]);
  });
});
