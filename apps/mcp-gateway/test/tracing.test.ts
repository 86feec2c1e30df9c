import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { SPAN_KIND, spanAttribute, startOtlpReceiver } from '@airlock/testing';
import { tracingProvidersStarted } from '@airlock/tracing';
import { startGatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';
import type { NextFixture } from './support/next-fixture.js';
import type { GatewayWorld } from './support/gateway-harness.js';
import type { OtlpReceiver } from '@airlock/testing';

// OpenTelemetry tracing of the gateway: the real gateway with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an
// OTLP/HTTP receiver in this process, one tools/call by the official SDK client through it to an SDK
// upstream in this process that records what it received. The spans arrive as OTLP JSON and are checked
// as a tree; the upstream must have seen the gateway's client span as its parent, in the `traceparent`
// header and in `params._meta`. A gateway without the variables exports nothing and sends nothing.

/** An SDK Streamable HTTP server that records, per tools/call, the headers of its POST and the request's `_meta`. */
async function startRecordingUpstream() {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const calls: Array<{ headers: IncomingHttpHeaders; meta: Record<string, unknown> | undefined }> = [];
  let lastHeaders: IncomingHttpHeaders = {};
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
    lastHeaders = req.headers;
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (!transport && req.method === 'POST' && isInitializeRequest(body)) {
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), enableJsonResponse: true, onsessioninitialized: (id) => void transports.set(id, created) });
      const server = new McpServer({ name: 'recording-upstream', version: '1.0.0' });
      server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }, extra) => {
        calls.push({ headers: lastHeaders, meta: extra._meta as Record<string, unknown> | undefined });
        return { content: [{ type: 'text', text }] };
      });
      await server.connect(created);
      transport = created;
    }
    if (!transport) {
      res.writeHead(404).end();
      return;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    calls,
    close: async () => {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const attribute = spanAttribute;

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function connect(world: GatewayWorld, url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'tracing-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${await world.token(url)}`, ...headers } } }));
  return client;
}

describe('tracing on: OTLP spans of a tools/call and trace context to the upstream', () => {
  let receiver: OtlpReceiver;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let world: GatewayWorld;
  let next: NextFixture;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    upstream = await startRecordingUpstream();
    next = await startNextFixture();
    world = await startGatewayWorld({}, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-key' });
    await world.addUpstream({ name: 'web', transport: 'http', url: upstream.url });
    // A 2026-07-28 upstream (probed as such), for a 2025-11-25 session's calls through Upstream2026Link.
    await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
  });
  afterAll(async () => {
    await world?.close();
    await next?.stop();
    await upstream?.close();
    await receiver?.close();
  });

  it('exports the server span of one tools/call with auth, session, policy and upstream client spans under it', async () => {
    const client = await connect(world, world.aggregatedUrl);
    const result = await client.callTool({ name: 'web__echo', arguments: { text: 'traced' } });
    expect(result.content).toEqual([{ type: 'text', text: 'traced' }]);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;

    const server = await until(() => receiver.spans.find((span) => span.kind === SPAN_KIND.SERVER && attribute(span, 'mcp.method.name') === 'tools/call'));
    expect(server.name).toBe('tools/call web__echo');
    expect(server.service).toBe('airlock-mcp-gateway');
    expect(server.parentSpanId ?? '').toBe('');
    expect(attribute(server, 'gen_ai.tool.name')).toBe('web__echo');
    expect(attribute(server, 'gen_ai.operation.name')).toBe('execute_tool');
    expect(attribute(server, 'mcp.session.id')).toBe(sessionId);
    expect(attribute(server, 'mcp.protocol.version')).toBe('2025-11-25');
    expect(typeof attribute(server, 'jsonrpc.request.id')).toBe('string');
    expect(attribute(server, 'airlock.tenant')).toBe(world.tenant);
    expect(attribute(server, 'airlock.tenant.id')).toBe(world.tenantId);
    expect(attribute(server, 'airlock.server')).toBe('web');
    expect(Number(attribute(server, 'http.response.status_code'))).toBe(200);

    const children = () => receiver.spans.filter((span) => span.traceId === server.traceId && span.parentSpanId === server.spanId);
    await until(() => (children().length >= 5 ? true : undefined));
    const byName = new Map(children().map((span) => [span.name, span]));
    // The session's first call reads the upstream's tool list (only listed names reach an upstream): a client span too.
    expect([...byName.keys()].sort()).toEqual(['airlock.auth.verify_token', 'airlock.policy.decide', 'airlock.session.lookup', 'tools/call echo', 'tools/list']);
    expect(byName.get('tools/list')!.kind).toBe(SPAN_KIND.CLIENT);
    expect(byName.get('airlock.auth.verify_token')!.kind).toBe(SPAN_KIND.INTERNAL);
    const lookup = byName.get('airlock.session.lookup')!;
    expect(attribute(lookup, 'airlock.session.source')).toBe('local');
    expect(attribute(lookup, 'mcp.session.id')).toBe(sessionId);
    const upstreamSpan = byName.get('tools/call echo')!;
    expect(upstreamSpan.kind).toBe(SPAN_KIND.CLIENT);
    expect(attribute(upstreamSpan, 'mcp.method.name')).toBe('tools/call');
    expect(attribute(upstreamSpan, 'gen_ai.tool.name')).toBe('echo');
    expect(attribute(upstreamSpan, 'airlock.server')).toBe('web');
    expect(attribute(upstreamSpan, 'server.address')).toBe('127.0.0.1');
    expect(typeof attribute(upstreamSpan, 'mcp.session.id')).toBe('string');

    // The upstream saw the client span as the parent, in its HTTP headers and in the request's _meta.
    expect(upstream.calls).toHaveLength(1);
    const expected = `00-${server.traceId}-${upstreamSpan.spanId}-01`;
    expect(upstream.calls[0]!.headers['traceparent']).toBe(expected);
    expect(upstream.calls[0]!.meta?.['traceparent']).toBe(expected);

    // Exports carry the configured collector credentials, to the traces path.
    expect(receiver.requests[0]).toMatchObject({ path: '/v1/traces', authorization: 'Bearer collector-key' });
    expect(receiver.requests[0]!.contentType).toContain('application/json');
    await client.close();
  });

  it("continues the client's trace from the traceparent header, and from params._meta over the header", async () => {
    const headerTrace = '0af7651916cd43dd8448eb211c80319c';
    const client = await connect(world, world.serverUrl('web'), { traceparent: `00-${headerTrace}-b7ad6b7169203331-01` });
    await client.callTool({ name: 'echo', arguments: { text: 'from header' } });
    const fromHeader = await until(() => receiver.spans.find((span) => span.kind === SPAN_KIND.SERVER && span.traceId === headerTrace && attribute(span, 'mcp.method.name') === 'tools/call'));
    expect(fromHeader.parentSpanId).toBe('b7ad6b7169203331');
    expect(fromHeader.name).toBe('tools/call echo');
    expect(attribute(fromHeader, 'airlock.server')).toBe('web');

    const metaTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await client.callTool({ name: 'echo', arguments: { text: 'from meta' }, _meta: { traceparent: `00-${metaTrace}-00f067aa0ba902b7-01`, tracestate: 'vendor=abc' } });
    const fromMeta = await until(() => receiver.spans.find((span) => span.kind === SPAN_KIND.SERVER && span.traceId === metaTrace));
    expect(fromMeta.parentSpanId).toBe('00f067aa0ba902b7');
    const upstreamSpan = await until(() => receiver.spans.find((span) => span.traceId === metaTrace && span.kind === SPAN_KIND.CLIENT));
    const last = upstream.calls.at(-1)!;
    expect(last.headers['traceparent']).toBe(`00-${metaTrace}-${upstreamSpan.spanId}-01`);
    expect(last.meta?.['traceparent']).toBe(`00-${metaTrace}-${upstreamSpan.spanId}-01`);
    expect(last.meta?.['tracestate']).toBe('vendor=abc');
    expect(last.headers['tracestate']).toBe('vendor=abc');
    await client.close();
  });

  it('traces a 2026-07-28 (stateless) client bridged to the session-based upstream', async () => {
    const client = new ModernClient({ name: 'tracing-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernHttpTransport(new URL(world.aggregatedUrl), { requestInit: { headers: { authorization: `Bearer ${await world.token(world.aggregatedUrl)}` } } }));
    const before = upstream.calls.length;
    await client.callTool({ name: 'web__echo', arguments: { text: 'modern' } });
    const server = await until(() => receiver.spans.find((span) => span.kind === SPAN_KIND.SERVER && attribute(span, 'mcp.protocol.version') === '2026-07-28' && attribute(span, 'mcp.method.name') === 'tools/call'));
    expect(server.name).toBe('tools/call web__echo');
    expect(attribute(server, 'mcp.session.id')).toBeUndefined();
    const upstreamSpan = await until(() => receiver.spans.find((span) => span.parentSpanId === server.spanId && span.kind === SPAN_KIND.CLIENT && span.name === 'tools/call echo'));
    expect(upstream.calls.length).toBe(before + 1);
    expect(upstream.calls.at(-1)!.headers['traceparent']).toBe(`00-${server.traceId}-${upstreamSpan.spanId}-01`);
    expect(upstream.calls.at(-1)!.meta?.['traceparent']).toBe(`00-${server.traceId}-${upstreamSpan.spanId}-01`);
    await client.close();
  });

  it('traces a 2025-11-25 session calling a 2026-07-28 upstream', async () => {
    const client = await connect(world, world.serverUrl('next'));
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    expect(result.isError).toBeFalsy();
    const server = await until(() => receiver.spans.find((span) => span.kind === SPAN_KIND.SERVER && attribute(span, 'airlock.server') === 'next' && attribute(span, 'mcp.method.name') === 'tools/call'));
    const upstreamSpan = await until(() => receiver.spans.find((span) => span.parentSpanId === server.spanId && span.kind === SPAN_KIND.CLIENT && span.name === 'tools/call test_simple_text'));
    expect(attribute(upstreamSpan, 'mcp.protocol.version')).toBe('2026-07-28');
    expect(attribute(upstreamSpan, 'airlock.server')).toBe('next');
    await client.close();
  });

  it("runs a message forwarded to the session's home replica in the sender's trace", async () => {
    const other = await world.startReplica();
    let viaOther = false;
    const client = new Client({ name: 'tracing-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(world.aggregatedUrl), {
        requestInit: { headers: { authorization: `Bearer ${await world.token(world.aggregatedUrl)}` } },
        // Initialized on the first replica (the home); the call is POSTed to the other one.
        fetch: async (input, init) => {
          const target = new URL(input instanceof Request ? input.url : input.toString());
          if (viaOther && (init?.method ?? 'GET') === 'POST') target.host = new URL(other.url).host;
          return fetch(target, init);
        },
      }),
    );
    viaOther = true;
    await client.callTool({ name: 'web__echo', arguments: { text: 'forwarded' } });
    const server = await until(() => receiver.spans.find((span) => span.kind === SPAN_KIND.SERVER && attribute(span, 'mcp.method.name') === 'tools/call' && upstream.calls.at(-1)?.headers['traceparent']?.includes(span.traceId)));
    const forwarded = await until(() => receiver.spans.find((span) => span.traceId === server.traceId && span.name === 'airlock.session.forwarded'));
    expect(forwarded.kind).toBe(SPAN_KIND.CONSUMER);
    expect(forwarded.parentSpanId).toBe(server.spanId);
    const upstreamSpan = await until(() => receiver.spans.find((span) => span.parentSpanId === forwarded.spanId && span.kind === SPAN_KIND.CLIENT && span.name === 'tools/call echo'));
    expect(upstream.calls.at(-1)!.meta?.['traceparent']).toBe(`00-${server.traceId}-${upstreamSpan.spanId}-01`);
    await client.close();
  });

  it('records a refused token as a failed auth span under an error server span', async () => {
    const response = await fetch(world.aggregatedUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer not-a-token', traceparent: '00-11111111111111111111111111111111-2222222222222222-01' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    const server = await until(() => receiver.spans.find((span) => span.traceId === '11111111111111111111111111111111' && span.kind === SPAN_KIND.SERVER));
    expect(Number(attribute(server, 'http.response.status_code'))).toBe(401);
    expect(server.status?.code).toBe(2);
    const auth = await until(() => receiver.spans.find((span) => span.parentSpanId === server.spanId && span.name === 'airlock.auth.verify_token'));
    expect(auth.status?.code).toBe(2);
  });
});

describe('tracing off (no OTEL_* variables)', () => {
  it('starts no exporter, exports nothing and sends no trace context upstream', async () => {
    const receiver = await startOtlpReceiver();
    const upstream = await startRecordingUpstream();
    const before = tracingProvidersStarted();
    // OTEL_TRACES_EXPORTER=none wins over an endpoint: still off.
    const world = await startGatewayWorld({}, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '50' });
    try {
      expect(tracingProvidersStarted()).toBe(before);
      await world.addUpstream({ name: 'web', transport: 'http', url: upstream.url });
      const client = await connect(world, world.aggregatedUrl, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      await client.callTool({ name: 'web__echo', arguments: { text: 'untraced' }, _meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
      await client.close();
      expect(upstream.calls).toHaveLength(1);
      // What the client sent in _meta passes through unchanged; the gateway adds no header of its own.
      expect(upstream.calls[0]!.headers['traceparent']).toBeUndefined();
      expect(upstream.calls[0]!.meta?.['traceparent']).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await world.close();
      await upstream.close();
      await receiver.close();
    }
    expect(receiver.spans).toHaveLength(0);
  });
});
