import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// The aggregated endpoint's lists hold every upstream's items in one page (clients that never follow
// nextCursor still see every server), paginated only past `aggregateListMaxItems`, in a stable order:
// servers by name, each server's items in its own order. Both protocol eras.

const MODERN = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };

type Page = { items: string[]; nextCursor?: string };

describe('aggregated lists', () => {
  let roomy: GatewayWorld;
  let tight: GatewayWorld;
  const fixtures: FixtureProcess[] = [];
  /** What each upstream lists, in its own order (read from the fixture itself). */
  let upstreamTools: string[];
  const CAP = 7;

  beforeAll(async () => {
    roomy = await startGatewayWorld();
    tight = await startGatewayWorld({ aggregateListMaxItems: CAP });
    // Upstream pages smaller than the cap and not dividing it: the gateway walks them and cuts inside them.
    for (const name of ['beta', 'alpha']) fixtures.push(await startFixtureProcess(['--page-size', '4', '--name', name]));
    for (const world of [roomy, tight]) {
      await world.addUpstream({ name: 'beta', transport: 'http', url: fixtures[0]!.url });
      await world.addUpstream({ name: 'alpha', transport: 'http', url: fixtures[1]!.url });
    }
    const direct = new Client({ name: 'aggregated-list', version: '1.0.0' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(fixtures[0]!.url)));
    upstreamTools = [];
    let cursor: string | undefined;
    do {
      const page = await direct.listTools(cursor ? { cursor } : {});
      upstreamTools.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor);
    await direct.close();
  });
  afterAll(async () => {
    await roomy?.close();
    await tight?.close();
    for (const fixture of fixtures) await fixture.stop();
  });

  const expected = () => ['alpha', 'beta'].flatMap((server) => upstreamTools.map((tool) => `${server}__${tool}`));

  async function legacyLister(world: GatewayWorld) {
    const client = new Client({ name: 'aggregated-list', version: '1.0.0' });
    const token = await world.token(world.aggregatedUrl);
    await client.connect(new StreamableHTTPClientTransport(new URL(world.aggregatedUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return {
      list: async (cursor?: string): Promise<Page> => {
        const page = await client.listTools(cursor ? { cursor } : {});
        return { items: page.tools.map((tool) => tool.name), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      close: () => client.close(),
    };
  }

  async function modernLister(world: GatewayWorld) {
    const token = await world.token(world.aggregatedUrl);
    return {
      list: async (cursor?: string): Promise<Page> => {
        const response = await fetch(world.aggregatedUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', authorization: `Bearer ${token}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { ...(cursor ? { cursor } : {}), _meta: envelope } }),
        });
        const body = (await response.json()) as { result: { tools: Array<{ name: string }>; nextCursor?: string } };
        return { items: body.result.tools.map((tool) => tool.name), ...(body.result.nextCursor ? { nextCursor: body.result.nextCursor } : {}) };
      },
      close: async () => undefined,
    };
  }

  for (const [era, lister] of [
    ['2025-11-25', legacyLister],
    [MODERN, modernLister],
  ] as const) {
    it(`${era}: one tools/list call, no cursor followed, returns every server's tools in stable order`, { timeout: 60_000 }, async () => {
      const client = await lister(roomy);
      try {
        expect(upstreamTools.length).toBeGreaterThan(CAP);
        const page = await client.list();
        expect(page.items).toEqual(expected());
        expect(page.nextCursor).toBeUndefined();
      } finally {
        await client.close();
      }
    });

    it(`${era}: past aggregateListMaxItems it paginates, and the cursors walk the same order`, { timeout: 60_000 }, async () => {
      const client = await lister(tight);
      try {
        const pages: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await client.list(cursor);
          pages.push(page.items);
          cursor = page.nextCursor;
        } while (cursor);
        expect(pages.every((page) => page.length <= CAP)).toBe(true);
        expect(pages.slice(0, -1).every((page) => page.length === CAP)).toBe(true);
        expect(pages.flat()).toEqual(expected());
      } finally {
        await client.close();
      }
    });
  }
});
