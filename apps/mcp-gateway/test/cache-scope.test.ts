import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { startNextFixture } from './support/next-fixture.js';
import type { NextFixture } from './support/next-fixture.js';

// 2026-07-28 cache hints on lists the gateway filters for the caller (issue 17): a tools/list is cut to the
// tenant's enabled tools and approved definitions (and, on the aggregated endpoint, to the servers the
// token reaches), so it carries `cacheScope: private` even when the upstream called its own list public;
// the upstream's ttlMs stays. A list the gateway relays untouched keeps the upstream's hint.

const MODERN = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'cache-scope', version: '1.0.0' } };

async function list(url: string, method: string, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { _meta: envelope } }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  // A JSON body, or the last event of an SSE one.
  const json = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? JSON.parse(text.split('\n').filter((line) => line.startsWith('data:')).at(-1)!.slice(5))
    : JSON.parse(text);
  expect(json.error, text).toBeUndefined();
  return json.result as Record<string, unknown>;
}

describe('cacheScope on lists the gateway filters (2026-07-28)', () => {
  let world: GatewayWorld;
  let next: NextFixture;
  let legacy: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    next = await startNextFixture();
    legacy = await startFixtureProcess();
    await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [MODERN, world.tenantId, 'next']);
    await world.addUpstream({ name: 'web', transport: 'http', url: legacy.url });
  });
  afterAll(async () => {
    await world?.close();
    await next?.stop();
    await legacy?.stop();
  });

  it('the 2026-07-28 upstream calls its own lists public', async () => {
    expect(await list(next.url, 'tools/list')).toMatchObject({ cacheScope: 'public', ttlMs: 60_000 });
    expect(await list(next.url, 'prompts/list')).toMatchObject({ cacheScope: 'public', ttlMs: 60_000 });
  });

  it('its tools/list through the per-server endpoint is private, with the upstream ttlMs', async () => {
    const url = world.serverUrl('next');
    const result = await list(url, 'tools/list', await world.token(url));
    expect(result).toMatchObject({ resultType: 'complete', cacheScope: 'private', ttlMs: 60_000 });
    expect((result['tools'] as unknown[]).length).toBeGreaterThan(0);
  });

  it('a 2025-11-25 upstream bridged: tools/list private', async () => {
    const url = world.serverUrl('web');
    expect(await list(url, 'tools/list', await world.token(url))).toMatchObject({ resultType: 'complete', cacheScope: 'private', ttlMs: 0 });
  });

  it('the aggregated endpoint: tools/list and prompts/list private', async () => {
    const token = await world.token(world.aggregatedUrl);
    const tools = await list(world.aggregatedUrl, 'tools/list', token);
    expect(tools).toMatchObject({ cacheScope: 'private' });
    expect((tools['tools'] as Array<{ name: string }>).map((tool) => tool.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^next__/), expect.stringMatching(/^web__/)]));
    expect(await list(world.aggregatedUrl, 'prompts/list', token)).toMatchObject({ cacheScope: 'private' });
  });

  it('a list relayed untouched (prompts/list of the per-server endpoint) keeps the upstream hint', async () => {
    const url = world.serverUrl('next');
    expect(await list(url, 'prompts/list', await world.token(url))).toMatchObject({ cacheScope: 'public', ttlMs: 60_000 });
  });
});
