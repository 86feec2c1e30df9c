import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema, SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { freePort, startGatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';
import type { GatewayWorld } from './support/gateway-harness.js';

// `subscriptions/listen` (2026-07-28) through the gateway: on the per-server endpoint of a 2025-11-25
// upstream (the gateway holds an upstream session for the stream) and on the aggregated endpoint (every
// upstream fanned in, namespaced). The 2025 upstream is an SDK 1.x server started here: it announces
// changes to every session (the project fixture keeps its tool list per session) and reports what it saw.

const MODERN = '2026-07-28';
const WATCHED = 'test://watched';

interface LegacyUpstream {
  url: string;
  /** Sessions that opened their GET stream (where unsolicited notifications go), ended (DELETE), subscribed. */
  streams: Set<string>;
  deleted: Set<string>;
  subscribed: Map<string, Set<string>>;
  stop(): Promise<void>;
}

/** A 2025-11-25 server (SDK 1.x, Streamable HTTP with sessions) whose tools announce changes to every session. */
async function startLegacyUpstream(): Promise<LegacyUpstream> {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: Server }>();
  const streams = new Set<string>();
  const deleted = new Set<string>();
  const subscribed = new Map<string, Set<string>>();
  const newSession = () => {
    const server = new Server({ name: 'listen-legacy', version: '1.0.0' }, { capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } } });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [
        { name: 'change_tools', description: 'Announces a tool list change to every session', inputSchema: { type: 'object' } },
        { name: 'touch', description: 'Announces an update of a resource to the sessions subscribed to it', inputSchema: { type: 'object', properties: { uri: { type: 'string' } } } },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      if (request.params.name === 'change_tools') {
        for (const session of sessions.values()) await session.server.sendToolListChanged().catch(() => undefined);
        return { content: [{ type: 'text', text: 'announced' }] };
      }
      const uri = String(request.params.arguments?.['uri'] ?? WATCHED);
      for (const [id, session] of sessions) if (subscribed.get(id)?.has(uri)) await session.server.sendResourceUpdated({ uri }).catch(() => undefined);
      return { content: [{ type: 'text', text: 'touched' }] };
    });
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: WATCHED, name: 'watched' }] }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({ contents: [{ uri: request.params.uri, text: 'watched content' }] }));
    server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
      const id = extra.sessionId ?? '';
      subscribed.set(id, (subscribed.get(id) ?? new Set()).add(request.params.uri));
      return {};
    });
    return { server, transport };
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? sessions.get(id) : undefined;
    if (typeof id === 'string') {
      if (!existing) return void res.writeHead(404).end();
      if (req.method === 'GET') streams.add(id);
      if (req.method === 'DELETE') {
        deleted.add(id);
        sessions.delete(id);
      }
      return existing.transport.handleRequest(req, res);
    }
    const fresh = newSession();
    await fresh.server.connect(fresh.transport);
    await fresh.transport.handleRequest(req, res);
  };
  const http: HttpServer = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    streams,
    deleted,
    subscribed,
    stop: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Polls until `check` holds (the gateway and upstreams run concurrently; no timing is asserted). */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };

describe('subscriptions/listen across eras', () => {
  let world: GatewayWorld;
  let legacy: LegacyUpstream;
  let next: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    world = await startGatewayWorld();
    legacy = await startLegacyUpstream();
    next = await startNextFixture();
    await world.addUpstream({ name: 'old', transport: 'http', url: legacy.url });
    await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [MODERN, world.tenantId, 'next']);
    // An upstream nobody answers for: the aggregated listen stream must live without it.
    await world.addUpstream({ name: 'gone', transport: 'http', url: `http://127.0.0.1:${await freePort()}/mcp` });
  });
  afterAll(async () => {
    await world?.close();
    await legacy?.stop();
    await next?.stop();
  });

  async function connect(url: string) {
    const client = new ModernClient({ name: 'eras-listen-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    const seen: Array<{ method: string; uri?: string }> = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void seen.push({ method: 'tools' }));
    client.setNotificationHandler('notifications/resources/updated', (notification) => void seen.push({ method: 'updated', uri: notification.params.uri }));
    const token = await world.token(url);
    await client.connect(new ModernHttpTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return { client, seen };
  }

  /** The upstream sessions that are listen streams: they subscribed, or opened a GET stream and never called. */
  const listenSessionsOf = (before: Set<string>) => [...legacy.streams].filter((id) => !before.has(id));

  it('SDK 2.x client, 2025 upstream: acknowledged, then a tools list_changed and a resource update; closing ends the upstream session', { timeout: 60_000 }, async () => {
    const { client, seen } = await connect(world.serverUrl('old'));
    try {
      const before = new Set(legacy.streams);
      const subscription = await client.listen({ toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: [WATCHED] });
      // Prompts: the upstream announces no prompts capability, so that part is not honoured.
      expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, resourceSubscriptions: [WATCHED] });
      await until(() => listenSessionsOf(before).some((id) => legacy.subscribed.get(id)?.has(WATCHED)), 'the listen session to subscribe and open its stream');
      const [session] = listenSessionsOf(before).filter((id) => legacy.subscribed.get(id)?.has(WATCHED));
      await client.callTool({ name: 'change_tools', arguments: {} });
      await until(() => seen.some((entry) => entry.method === 'tools'), 'tools/list_changed');
      await client.callTool({ name: 'touch', arguments: { uri: WATCHED } });
      await until(() => seen.some((entry) => entry.method === 'updated'), 'resources/updated');
      expect(seen.find((entry) => entry.method === 'updated')?.uri).toBe(WATCHED);
      await subscription.close();
      expect(await subscription.closed).toBe('local');
      await until(() => legacy.deleted.has(session!), 'the upstream session to end with the listen stream');
    } finally {
      await client.close();
    }
  });

  it('only what was asked for: a resource-only listener gets the update but not the earlier list change', { timeout: 60_000 }, async () => {
    const { client, seen } = await connect(world.serverUrl('old'));
    try {
      const before = new Set(legacy.streams);
      const subscription = await client.listen({ resourceSubscriptions: [WATCHED] });
      await until(() => listenSessionsOf(before).some((id) => legacy.subscribed.get(id)?.has(WATCHED)), 'the listen session to subscribe and open its stream');
      await client.callTool({ name: 'change_tools', arguments: {} });
      await client.callTool({ name: 'touch', arguments: { uri: WATCHED } });
      // Both went down the same upstream stream in this order: had the list change been relayed, it would be here first.
      await until(() => seen.some((entry) => entry.method === 'updated'), 'resources/updated');
      expect(seen).toEqual([{ method: 'updated', uri: WATCHED }]);
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  async function listenRaw(url: string, params: Record<string, unknown>, id: unknown = 'sub-1') {
    const controller = new AbortController();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'subscriptions/listen',
        authorization: `Bearer ${await world.token(url)}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { _meta: envelope, ...params } }),
      signal: controller.signal,
    });
    return { response, controller };
  }

  /** The first `count` SSE messages of a response (the stream may stay open). */
  async function messages(response: Response, count: number): Promise<Array<Record<string, unknown>>> {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const out: Array<Record<string, unknown>> = [];
    let buffer = '';
    while (out.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, at)
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('');
        buffer = buffer.slice(at + 2);
        if (data) out.push(JSON.parse(data) as Record<string, unknown>);
      }
    }
    reader.releaseLock();
    return out;
  }

  it('the wire: SSE with X-Accel-Buffering: no, the acknowledgement first with the listen id; an empty filter is acknowledged and ended', { timeout: 30_000 }, async () => {
    const url = world.serverUrl('old');
    const { response, controller } = await listenRaw(url, { notifications: { toolsListChanged: true } }, 'sub-1');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [ack] = await messages(response, 1);
    expect(ack).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub-1' } },
    });
    controller.abort();

    const empty = await listenRaw(url, { notifications: { promptsListChanged: true } }, 7);
    const all = await messages(empty.response, 10);
    expect(all.map((message) => message['method'] ?? 'response')).toEqual(['notifications/subscriptions/acknowledged', 'response']);
    expect(all[1]).toMatchObject({ id: 7, result: { resultType: 'complete', _meta: { 'io.modelcontextprotocol/subscriptionId': 7 } } });
  });

  it('bad inputs: no filter or a malformed one is -32602 and opens nothing', async () => {
    for (const params of [{}, { notifications: { toolsListChanged: 'yes' } }, { notifications: { resourceSubscriptions: 'test://watched' } }]) {
      for (const url of [world.serverUrl('old'), world.aggregatedUrl]) {
        const { response } = await listenRaw(url, params);
        expect(response.headers.get('content-type')).toContain('application/json');
        const body = (await response.json()) as { id: unknown; error?: { code: number } };
        expect(body.id).toBe('sub-1');
        expect(body.error?.code).toBe(-32602);
      }
    }
  });

  it('aggregated endpoint: one stream fans in a 2026 upstream list change and a 2025 resource update, URIs namespaced; a dead upstream does not end it', { timeout: 60_000 }, async () => {
    const { client, seen } = await connect(world.aggregatedUrl);
    try {
      const before = new Set(legacy.streams);
      const subscription = await client.listen({ toolsListChanged: true, resourceSubscriptions: [`old+${WATCHED}`, 'nowhere+test://x'] });
      expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, resourceSubscriptions: [`old+${WATCHED}`] });
      await until(() => listenSessionsOf(before).some((id) => legacy.subscribed.get(id)?.has(WATCHED)), 'the 2025 side to subscribe and open its stream');
      await client.callTool({ name: 'next__test_trigger_tool_change', arguments: {} });
      await until(() => seen.some((entry) => entry.method === 'tools'), 'tools/list_changed from the 2026 upstream');
      await client.callTool({ name: 'old__touch', arguments: { uri: WATCHED } });
      await until(() => seen.some((entry) => entry.method === 'updated'), 'resources/updated from the 2025 upstream');
      expect(seen.find((entry) => entry.method === 'updated')?.uri).toBe(`old+${WATCHED}`);
      await subscription.close();
    } finally {
      await client.close();
    }
  });
});

describe('subscriptions/listen and gateway shutdown', () => {
  let world: GatewayWorld;
  let legacy: LegacyUpstream;

  beforeAll(async () => {
    world = await startGatewayWorld();
    legacy = await startLegacyUpstream();
    await world.addUpstream({ name: 'old', transport: 'http', url: legacy.url });
  });
  afterAll(async () => {
    await world?.close();
    await legacy?.stop();
  });

  it('a draining gateway ends the listen stream with the listen response (graceful) and the upstream session', { timeout: 60_000 }, async () => {
    const url = world.serverUrl('old');
    const client = new ModernClient({ name: 'eras-listen-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    await client.connect(new ModernHttpTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${await world.token(url)}` } } }));
    try {
      const subscription = await client.listen({ resourceSubscriptions: [WATCHED] });
      await until(() => [...legacy.subscribed.values()].some((uris) => uris.has(WATCHED)), 'the listen session to subscribe');
      const [session] = [...legacy.subscribed.entries()].filter(([, uris]) => uris.has(WATCHED)).map(([id]) => id);
      await world.gateway.close();
      expect(await subscription.closed).toBe('graceful');
      await until(() => legacy.deleted.has(session!), 'the upstream session to end');
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
