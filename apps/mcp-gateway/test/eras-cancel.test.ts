import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startGatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';
import type { GatewayWorld } from './support/gateway-harness.js';

// 2026-07-28, Streamable HTTP "Cancellation": a client closing the response stream cancels the request.
// Through the gateway the upstream must see it: a 2026-07-28 upstream as its request aborting (the
// fixture's test_wait_for_cancel records that), a 2025-11-25 upstream as notifications/cancelled on the
// bridged session (an SDK 1.x server started here records its handler's abort signal).

const MODERN = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };

interface Waits {
  started: string[];
  cancelled: string[];
}

/** A 2025-11-25 server whose `wait_for_cancel` waits for its request to be cancelled and records it. */
async function startLegacyUpstream(): Promise<{ url: string; waits: Waits; stop(): Promise<void> }> {
  const waits: Waits = { started: [], cancelled: [] };
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const transport = transports.get(id);
      if (!transport) return void res.writeHead(404).end();
      return transport.handleRequest(req, res);
    }
    const server = new Server({ name: 'cancel-legacy', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'wait_for_cancel', inputSchema: { type: 'object', properties: { label: { type: 'string' } } } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const label = String(request.params.arguments?.['label']);
      waits.started.push(label);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (extra.signal.aborted) waits.cancelled.push(label);
      return { content: [{ type: 'text', text: extra.signal.aborted ? 'cancelled' : 'not cancelled' }] };
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void transports.set(sessionId, transport),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http: HttpServer = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    waits,
    stop: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a 2026-07-28 client closing the response stream cancels the call upstream', () => {
  let world: GatewayWorld;
  let next: { url: string; stop(): Promise<void> };
  let legacy: { url: string; waits: Waits; stop(): Promise<void> };

  beforeAll(async () => {
    world = await startGatewayWorld();
    next = await startNextFixture();
    legacy = await startLegacyUpstream();
    await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [MODERN, world.tenantId, 'next']);
    await world.addUpstream({ name: 'old', transport: 'http', url: legacy.url });
  });
  afterAll(async () => {
    await world?.close();
    await next?.stop();
    await legacy?.stop();
  });

  /** What the 2026 fixture recorded, asked of the fixture itself. */
  async function nextWaits(): Promise<Waits> {
    const response = await fetch(next.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'test_cancelled_calls',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_cancelled_calls', arguments: {}, _meta: envelope } }),
    });
    const text = await response.text();
    const data = text.startsWith('{') ? text : (text.split('\n').find((line) => line.startsWith('data:')) ?? '').slice(5);
    const body = JSON.parse(data) as { result: { content: Array<{ text: string }> } };
    return JSON.parse(body.result.content[0]!.text) as Waits;
  }

  /** Starts a tools/call, waits until the upstream runs it, then closes the response stream. */
  async function callAndClose(url: string, tool: string, label: string, started: () => Promise<boolean>): Promise<void> {
    const controller = new AbortController();
    const token = await world.token(url);
    const pending = fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': tool,
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: { label }, _meta: envelope } }),
      signal: controller.signal,
    }).then(
      async (response) => {
        // Headers may come first (SSE); the body is what the abort cuts.
        await response.text();
        return 'answered' as const;
      },
      () => 'aborted' as const,
    );
    await until(started, `${label} to start upstream`);
    controller.abort();
    expect(await pending).toBe('aborted');
  }

  const cases = [
    { era: '2026-07-28', endpoint: 'per-server', url: () => world.serverUrl('next'), tool: 'test_wait_for_cancel', label: 'modern-per-server' },
    { era: '2026-07-28', endpoint: 'aggregated', url: () => world.aggregatedUrl, tool: 'next__test_wait_for_cancel', label: 'modern-aggregated' },
    { era: '2025-11-25', endpoint: 'per-server', url: () => world.serverUrl('old'), tool: 'wait_for_cancel', label: 'legacy-per-server' },
    { era: '2025-11-25', endpoint: 'aggregated', url: () => world.aggregatedUrl, tool: 'old__wait_for_cancel', label: 'legacy-aggregated' },
  ];

  for (const { era, endpoint, url, tool, label } of cases) {
    it(`${era} upstream, ${endpoint} endpoint: the upstream sees the cancellation`, { timeout: 60_000 }, async () => {
      const waits = era === MODERN ? nextWaits : async () => legacy.waits;
      await callAndClose(url(), tool, label, async () => (await waits()).started.includes(label));
      await until(async () => (await waits()).cancelled.includes(label), `${label} to be cancelled upstream`);
    });
  }
});
