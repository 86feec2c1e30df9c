import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import { TENANT, USER, startFixture, startFullStack, type FullStack } from './support/full-stack.js';

// Real traffic through the whole platform (the official SDK client, OAuth through the real login and
// consent pages, an upstream MCP process), then every service's /metrics scraped over HTTP as
// Prometheus would, checking the series carry the values that traffic must have produced.

type Labels = Record<string, string>;

/** Every sample of `name` in a Prometheus text exposition whose labels include `wanted`. */
function samples(text: string, name: string, wanted: Labels = {}): number[] {
  const found: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Labels = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    if (Object.entries(wanted).every(([key, value]) => labels[key] === value)) found.push(Number(match[3]));
  }
  return found;
}
const total = (text: string, name: string, wanted: Labels = {}) => samples(text, name, wanted).reduce((sum, n) => sum + n, 0);

async function scrape(url: string | undefined): Promise<string> {
  if (!url) throw new Error('metrics endpoint not started');
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('metrics: /metrics of each service after real traffic', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let provider: MemoryOAuthProvider;
  let client: Client;

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }], { metrics: true });
    provider = new MemoryOAuthProvider('metrics e2e');
    const first = new Client({ name: 'metrics', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(stack.aggregatedUrl), { authProvider: provider });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const callback = await signInAndApprove(provider.authorizationUrl!, USER);
    await transport.finishAuth(callback.searchParams.get('code')!);
    client = new Client({ name: 'metrics', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.aggregatedUrl), { authProvider: provider }));
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await stack?.close();
    fixture?.child.kill();
  });

  it('serves metrics on their own port only, never on the public listeners', async () => {
    for (const url of [stack.authUrl, stack.gatewayUrl]) expect((await fetch(`${url}/metrics`)).status).toBe(404);
    expect(Object.keys(stack.metricsUrls).sort()).toEqual(['auth-server', 'mcp-gateway', 'session-store']);
    const gateway = await scrape(stack.metricsUrls['mcp-gateway']);
    expect(samples(gateway, 'airlock_build_info', { service: 'mcp-gateway' })).toEqual([1]);
    expect(samples(gateway, 'process_cpu_seconds_total', { service: 'mcp-gateway' })).toHaveLength(1);
  });

  it('counts tools/call per tenant, server and outcome, with latency', async () => {
    const before = await scrape(stack.metricsUrls['mcp-gateway']);
    const labels = { tenant: TENANT, server: 'web' };
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'web__echo', arguments: { text: `call ${i}` } });
    await client.callTool({ name: 'web__no_such_tool', arguments: {} }).catch(() => undefined);
    const after = await scrape(stack.metricsUrls['mcp-gateway']);
    const delta = (text: string, name: string, wanted: Labels) => total(after, name, wanted) - total(text, name, wanted);
    expect(delta(before, 'airlock_tool_calls_total', { ...labels, outcome: 'result' })).toBe(3);
    expect(delta(before, 'airlock_tool_call_duration_seconds_count', { ...labels, outcome: 'result' })).toBe(3);
    expect(delta(before, 'airlock_tool_call_duration_seconds_sum', { ...labels, outcome: 'result' })).toBeGreaterThan(0);
    // The unknown tool is refused at the gateway, never sent upstream.
    expect(delta(before, 'airlock_tool_calls_total', { tenant: TENANT, outcome: 'refused' })).toBe(1);
    // Every MCP POST went through the fast lane, labelled by its mount's pattern, never a raw path.
    expect(delta(before, 'airlock_http_request_duration_seconds_count', { route: '/t/:tenant/*', method: 'POST', status_class: '2xx' })).toBeGreaterThanOrEqual(4);
    expect(after).not.toContain(`route="/t/${TENANT}`);
    expect(total(after, 'airlock_upstream_connections', { state: 'open' })).toBeGreaterThanOrEqual(1);
  });

  it('counts token issuance by grant type, and the session store reports sessions and queues', async () => {
    const auth = await scrape(stack.metricsUrls['auth-server']);
    expect(total(auth, 'airlock_tokens_issued_total', { grant_type: 'authorization_code' })).toBe(1);
    expect(total(auth, 'airlock_http_request_duration_seconds_count', { service: 'auth-server', status_class: '2xx' })).toBeGreaterThan(0);
    await until(async () => total(await scrape(stack.metricsUrls['session-store']), 'airlock_sessions', { kind: 'mcp' }) === 1, 'the MCP session in the durable store');
    const store = await scrape(stack.metricsUrls['session-store']);
    for (const queue of ['sessions', 'audit', 'auth']) {
      expect(samples(store, 'airlock_queue_jobs', { queue, state: 'waiting' })).toHaveLength(1);
      expect(samples(store, 'airlock_queue_jobs_dropped', { queue })).toEqual([0]);
    }
  });

  it('counts a refresh, and shows a revoked grant in the gateway\'s revoked set', async () => {
    const discovery = (await (await fetch(`${stack.authUrl}/t/${TENANT}/.well-known/oauth-authorization-server`)).json()) as { token_endpoint: string; revocation_endpoint: string };
    const clientId = (provider.info as { client_id: string }).client_id;
    const refreshed = await fetch(discovery.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: provider.tokens()!.refresh_token!, client_id: clientId }),
    });
    expect(refreshed.status).toBe(200);
    const { refresh_token: refreshToken } = (await refreshed.json()) as { refresh_token: string };
    expect(total(await scrape(stack.metricsUrls['auth-server']), 'airlock_tokens_issued_total', { grant_type: 'refresh_token' })).toBe(1);

    const gateway = stack.metricsUrls['mcp-gateway'];
    expect(total(await scrape(gateway), 'airlock_revoked_grants')).toBe(0);
    const revoked = await fetch(discovery.revocation_endpoint, { method: 'POST', body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId }) });
    expect(revoked.status).toBe(200);
    await until(async () => total(await scrape(gateway), 'airlock_revoked_grants') === 1, 'the revoked grant in the gateway set');
  });

  it('the Grafana dashboard only queries series the services export', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/airlock-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const queried = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => [...target.expr.matchAll(/\b(?:airlock|process|nodejs)_\w+/g)].map((m) => m[0]))));
    expect(queried.size).toBeGreaterThan(10);
    const exported = new Set<string>();
    for (const url of Object.values(stack.metricsUrls)) for (const line of (await scrape(url)).split('\n')) exported.add(/^[\w:]+/.exec(line)?.[0] ?? '');
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });
});
