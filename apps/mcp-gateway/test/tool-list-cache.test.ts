import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { startGatewayWorld } from './support/gateway-harness.js';
import type { GatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';
import type { NextFixture } from './support/next-fixture.js';

// A 2026-07-28 tools/call is let through only for a name the upstream lists exactly (tool-names.test.ts).
// The stateless path has no upstream link to keep that list on, so it used to read the whole tools/list
// before every call: one extra upstream round trip per call. The gateway now keeps each upstream's tool
// names for 30 s (GATEWAY_TOOL_LIST_TTL_MS): many calls, one read; a tool the upstream just added is
// callable at once (an unknown name reads the list again before it is refused); a tool it removed is
// refused once the TTL has passed. Both endpoints, counted at the upstream.

const MODERN = '2026-07-28';
const TTL_MS = 30_000;

/** Forwards to the fixture and counts the 2026-07-28 requests it relays, by `Mcp-Method`. */
async function startCountingProxy(target: string): Promise<{ url: string; counts: Map<string, number>; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const method = String(req.headers['mcp-method'] ?? '');
    counts.set(method, (counts.get(method) ?? 0) + 1);
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('2026-07-28 tools/call: the upstream tool list is read once, not per call', () => {
  let world: GatewayWorld;
  // One fixture per endpoint: the fixture's extra_tool is process state, and the gateway's cache is per upstream.
  const upstreams = new Map<string, { fixture: NextFixture; proxy: Awaited<ReturnType<typeof startCountingProxy>> }>();

  beforeAll(async () => {
    world = await startGatewayWorld();
    for (const name of ['one', 'all']) {
      const fixture = await startNextFixture();
      const proxy = await startCountingProxy(fixture.url);
      upstreams.set(name, { fixture, proxy });
      await world.addUpstream({ name, transport: 'http', url: proxy.url });
      await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [MODERN, world.tenantId, name]);
    }
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await world?.close();
    for (const { fixture, proxy } of upstreams.values()) {
      await proxy.close();
      await fixture.stop();
    }
  });

  const cases = [
    { endpoint: 'server', server: 'one', url: () => world.serverUrl('one'), named: (name: string) => name },
    { endpoint: 'aggregated', server: 'all', url: () => world.aggregatedUrl, named: (name: string) => `all__${name}` },
  ] as const;

  for (const { endpoint, server, url, named } of cases) {
    it(`on the ${endpoint} endpoint: calls share one read; an added tool is callable at once; a removed one is refused after the TTL`, { timeout: 60_000 }, async () => {
      const client = new ModernClient({ name: 'tool-list-cache', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
      const token = await world.token(url(), { scope: 'mcp' });
      await client.connect(new ModernHttpTransport(new URL(url()), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      const { proxy } = upstreams.get(server)!;
      const lists = () => proxy.counts.get('tools/list') ?? 0;
      const text = (result: Record<string, unknown>) => String((result['content'] as Array<{ text?: unknown }>)[0]?.text);
      const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name: named(name), arguments: args });
      try {
        const listsBefore = lists();
        const callsBefore = proxy.counts.get('tools/call') ?? 0;
        for (let i = 0; i < 5; i++) expect(text(await call('echo', { text: `hi ${i}` }))).toBe(`hi ${i}`);
        expect(proxy.counts.get('tools/call')! - callsBefore).toBe(5);
        expect(lists() - listsBefore).toBe(1);

        // The fixture toggles extra_tool on: not in the cached names, so the list is read again and the call goes through.
        await call('test_trigger_tool_change');
        const beforeAdded = lists();
        expect(text(await call('extra_tool'))).toBe('extra');
        expect(lists() - beforeAdded).toBe(1);
        await call('extra_tool');
        expect(lists() - beforeAdded).toBe(1);

        // Toggled off again: once the TTL has passed, the gateway reads the list and refuses it as unknown itself.
        await call('test_trigger_tool_change');
        const now = Date.now();
        vi.spyOn(Date, 'now').mockImplementation(() => now + TTL_MS + 1_000);
        try {
          const callsBeforeRemoved = proxy.counts.get('tools/call')!;
          const refused = await call('extra_tool').then(
            () => undefined,
            (error: unknown) => error as { code?: unknown; message?: unknown },
          );
          expect(refused?.code).toBe(-32602);
          expect(String(refused?.message)).toContain(`Unknown tool: ${named('extra_tool')}`);
          expect(proxy.counts.get('tools/call')).toBe(callsBeforeRemoved);
        } finally {
          vi.restoreAllMocks();
        }
      } finally {
        await client.close();
      }
    });
  }
});
