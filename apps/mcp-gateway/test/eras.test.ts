import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import { runNodeForJson, startTokenProxy } from '@airlock/testing';
import { startNextFixture } from './support/next-fixture.js';
import type { NextFixture } from './support/next-fixture.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// Protocol revision 2026-07-28 on the gateway's endpoints: the conformance 0.2 alpha line with
// `--requirements 2026-07-28` against the 2026-07-28 fixture directly and through the gateway (an http
// upstream recorded as `protocol_version = 2026-07-28`), and header/era rules the suite does not cover.

const NEXT = new URL('../../../tools/mcp-fixture-next/', import.meta.url);
const baseline = fileURLToPath(new URL('conformance/expected-failures.2026-07-28.yaml', NEXT));
const NEXT_RUNNER = pathToFileURL(fileURLToPath(new URL('dist/conformance-runner.js', NEXT))).href;

interface RequirementsSummary {
  scoredPassed: number;
  scenariosPassing: string[];
  scenarios: Array<{ scenario: string; scored: boolean; failed: number; failures: Array<{ id: string; message: string }> }>;
}

/** The fixture-next conformance runner (`--requirements 2026-07-28`, scored scenarios) in a child process. */
function runRequirements(url: string): Promise<RequirementsSummary> {
  const script = `const { runRequirements } = await import(${JSON.stringify(NEXT_RUNNER)});
process.stdout.write(JSON.stringify(await runRequirements(${JSON.stringify(url)}, { requirements: '2026-07-28', expectedFailures: ${JSON.stringify(baseline)} })));`;
  return runNodeForJson<RequirementsSummary>(['--input-type=module', '-e', script]);
}

/** Scenarios that pass directly but cannot pass through the gateway yet, with the reason. Empty: none. */
const EXPECTED_THROUGH_GATEWAY_FAILURES: string[] = [];

const MODERN = '2026-07-28';

async function setProtocolVersion(world: GatewayWorld, name: string, version: string): Promise<void> {
  await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [version, world.tenantId, name]);
}

describe('MCP 2026-07-28 conformance through the gateway, same scenarios as against the fixture directly', () => {
  let world: GatewayWorld;
  let fixture: NextFixture;
  let proxy: { url: string; close(): Promise<void> };
  let direct: RequirementsSummary | undefined;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startNextFixture();
    await world.addUpstream({ name: 'next', transport: 'http', url: fixture.url });
    await setProtocolVersion(world, 'next', MODERN);
    proxy = await startTokenProxy(world.publicUrl, () => world.token(world.serverUrl('next')));
  });
  afterAll(async () => {
    await proxy?.close();
    await world?.close();
    await fixture?.stop();
  });

  it('the fixture directly', { timeout: 300_000 }, async () => {
    direct = await runRequirements(fixture.url);
    console.info(`conformance 0.2 --requirements ${MODERN} directly: ${direct.scenariosPassing.length} scenarios, ${direct.scoredPassed} scored checks passed`);
    expect(direct.scenarios.filter((s) => s.scored && s.failed > 0)).toEqual([]);
  });

  it('through /servers/next/mcp (http upstream, 2026-07-28)', { timeout: 300_000 }, async () => {
    const through = await runRequirements(`${proxy.url}/t/${world.tenant}/servers/next/mcp`);
    console.info(`conformance 0.2 --requirements ${MODERN} through the gateway: ${through.scenariosPassing.length} scenarios, ${through.scoredPassed} scored checks passed`);
    const failing = through.scenarios.filter((s) => s.scored && s.failed > 0 && !EXPECTED_THROUGH_GATEWAY_FAILURES.includes(s.scenario));
    expect(failing.map((s) => ({ scenario: s.scenario, failures: s.failures }))).toEqual([]);
    expect(direct).toBeDefined();
    const passingThrough = new Set(through.scenariosPassing);
    expect(direct!.scenariosPassing.filter((s) => !passingThrough.has(s) && !EXPECTED_THROUGH_GATEWAY_FAILURES.includes(s))).toEqual([]);
    expect(through.scoredPassed).toBeGreaterThanOrEqual(direct!.scoredPassed);
  });
});

describe('MCP 2026-07-28 conformance against the 2025-11-25 fixture: directly, and bridged by the gateway', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let proxy: { url: string; close(): Promise<void> };
  let direct: RequirementsSummary | undefined;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'legacy', transport: 'http', url: fixture.url });
    proxy = await startTokenProxy(world.publicUrl, () => world.token(world.serverUrl('legacy')));
  });
  afterAll(async () => {
    await proxy?.close();
    await world?.close();
    await fixture?.stop();
  });

  it('every scenario the 2025 fixture passes directly passes through the gateway', { timeout: 600_000 }, async () => {
    direct = await runRequirements(fixture.url);
    const through = await runRequirements(`${proxy.url}/t/${world.tenant}/servers/legacy/mcp`);
    console.info(
      `conformance 0.2 --requirements ${MODERN}, 2025-11-25 fixture: directly ${direct.scenariosPassing.length} scenarios (${direct.scoredPassed} checks), ` +
        `bridged by the gateway ${through.scenariosPassing.length} scenarios (${through.scoredPassed} checks)`,
    );
    // The rest call tools only the 2026-07-28 fixture has (input_required diagnostics) or need
    // subscriptions/listen, which is not bridged to session-based upstreams.
    console.info(`not passing through the bridge: ${through.scenarios.filter((s) => s.scored && s.failed > 0).map((s) => s.scenario).join(', ')}`);
    const passingThrough = new Set(through.scenariosPassing);
    expect(direct.scenariosPassing.filter((s) => !passingThrough.has(s))).toEqual([]);
    expect(through.scenariosPassing.length).toBeGreaterThan(direct.scenariosPassing.length);
  });
});

/** An SDK 2.x client pinned to 2026-07-28 (no fallback to initialize), answering elicitations with `answer`. */
async function modernClient(world: GatewayWorld, server: string, answer: (message: string) => Record<string, unknown>) {
  const client = new ModernClient({ name: 'eras-test-modern', version: '1.0.0' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: MODERN } } });
  const asked: string[] = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    const message = String((request.params as { message?: unknown }).message);
    asked.push(message);
    return answer(message) as never;
  });
  const token = await world.token(world.serverUrl(server));
  await client.connect(new ModernHttpTransport(new URL(world.serverUrl(server)), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return { client, asked };
}

async function legacyClient(world: GatewayWorld, server: string, answer: (message: string) => Record<string, unknown>) {
  const client = new LegacyClient({ name: 'eras-test-legacy', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    return answer(request.params.message) as never;
  });
  const token = await world.token(world.serverUrl(server));
  await client.connect(new LegacyHttpTransport(new URL(world.serverUrl(server)), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return { client, asked };
}

describe('SDK clients of both eras against upstreams of both eras', () => {
  let world: GatewayWorld;
  let next: NextFixture;
  let legacy: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    next = await startNextFixture();
    legacy = await startFixtureProcess();
    await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await setProtocolVersion(world, 'next', MODERN);
    await world.addUpstream({ name: 'legacy', transport: 'http', url: legacy.url });
  });
  afterAll(async () => {
    await world?.close();
    await next?.stop();
    await legacy?.stop();
  });

  it('SDK 2.x client, 2026-07-28 upstream: confirm_action elicitation is an input_required round trip through the gateway', { timeout: 30_000 }, async () => {
    const { client, asked } = await modernClient(world, 'next', () => ({ action: 'accept', content: { ok: true } }));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['confirm_action', 'echo']));
      const result = await client.callTool({ name: 'confirm_action', arguments: { action: 'deploy' } });
      expect(asked).toEqual(['Confirm deploy?']);
      expect(result.content).toEqual([{ type: 'text', text: 'deploy: done' }]);
    } finally {
      await client.close();
    }
  });

  it('SDK 2.x client, 2025-11-25 upstream: the upstream elicitation becomes input_required and the retry answers it', { timeout: 30_000 }, async () => {
    const { client, asked } = await modernClient(world, 'legacy', () => ({ action: 'accept', content: { username: 'alice', email: 'alice@example.com' } }));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['test_simple_text', 'test_elicitation']));
      const simple = await client.callTool({ name: 'test_simple_text', arguments: {} });
      expect(simple.isError ?? false).toBe(false);
      const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
      expect(asked).toEqual(['Who are you?']);
      expect(result.content).toEqual([{ type: 'text', text: 'User response: action=accept, content={"username":"alice","email":"alice@example.com"}' }]);
    } finally {
      await client.close();
    }
  });

  it('SDK 1.x client, 2025-11-25 upstream: the elicitation is relayed on the session as before', { timeout: 30_000 }, async () => {
    const { client, asked } = await legacyClient(world, 'legacy', () => ({ action: 'decline' }));
    try {
      const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who?' } });
      expect(asked).toEqual(['Who?']);
      expect(result.content).toEqual([{ type: 'text', text: 'User response: action=decline, content={}' }]);
    } finally {
      await client.close();
    }
  });

  it('SDK 1.x client, 2026-07-28 upstream: input_required becomes an elicitation on the client stream and the answer the retry', { timeout: 30_000 }, async () => {
    const { client, asked } = await legacyClient(world, 'next', () => ({ action: 'decline' }));
    try {
      expect(client.getServerVersion()?.name).toBe('airlock-mcp-fixture-next');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['confirm_action', 'echo']));
      expect(tools.every((tool) => !('resultType' in tool))).toBe(true);
      const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      expect(echoed).not.toHaveProperty('resultType');
      const result = await client.callTool({ name: 'confirm_action', arguments: { action: 'deploy' } });
      expect(asked).toEqual(['Confirm deploy?']);
      expect(result.content).toEqual([{ type: 'text', text: 'deploy: decline' }]);
      const progress: number[] = [];
      await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
      expect(progress).toEqual([0, 50, 100]);
    } finally {
      await client.close();
    }
  });

  it('a state handle is bound to its subject: another principal replaying it gets -32602', { timeout: 30_000 }, async () => {
    const url = world.serverUrl('legacy');
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'test_elicitation',
    });
    const params = (extra: Record<string, unknown> = {}) => ({
      name: 'test_elicitation',
      arguments: { message: 'Bound?' },
      _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } },
      ...extra,
    });
    const alice = await world.token(url);
    const first = await fetch(url, { method: 'POST', headers: headers(alice), body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: params() }) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-accel-buffering')).toBe('no');
    const parked = (await first.json()) as { result: { resultType: string; requestState: string; inputRequests: Record<string, { method: string }> } };
    expect(parked.result.resultType).toBe('input_required');
    const [key, entry] = Object.entries(parked.result.inputRequests)[0]!;
    expect(entry.method).toBe('elicitation/create');
    const answers = { inputResponses: { [key]: { action: 'decline' } }, requestState: parked.result.requestState };
    const mallory = await world.token(url, { subject: 'mallory' });
    const stolen = await fetch(url, { method: 'POST', headers: headers(mallory), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: params(answers) }) });
    expect(((await stolen.json()) as { error?: { code: number } }).error?.code).toBe(-32602);
    const retry = await fetch(url, { method: 'POST', headers: headers(alice), body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: params(answers) }) });
    const done = (await retry.json()) as { result: { resultType: string; content: unknown } };
    expect(done.result.resultType).toBe('complete');
    expect(done.result.content).toEqual([{ type: 'text', text: 'User response: action=decline, content={}' }]);
  });
});

describe('2026-07-28 requests keep the gateway rules', () => {
  let world: GatewayWorld;
  let next: NextFixture;
  let legacy: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    next = await startNextFixture();
    legacy = await startFixtureProcess();
    const nextId = await world.addUpstream({ name: 'next', transport: 'http', url: next.url });
    await setProtocolVersion(world, 'next', MODERN);
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

  const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
  async function call(url: string, token: string | undefined, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...body }),
    });
    const text = await response.text();
    return { response, json: (text ? JSON.parse(text) : {}) as { error?: { code: number; data?: unknown }; result?: Record<string, unknown> } };
  }
  const toolsList = { method: 'tools/list', params: { _meta: envelope } };

  it('no token: 401 with the resource metadata challenge, before any era rule', async () => {
    const { response } = await call(world.serverUrl('next'), undefined, toolsList, { 'mcp-method': 'tools/list' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('resource_metadata=');
  });

  it('a token for another endpoint is refused (audience-bound)', async () => {
    const { response } = await call(world.serverUrl('next'), await world.token(world.serverUrl('legacy')), toolsList, { 'mcp-method': 'tools/list' });
    expect(response.status).toBe(401);
  });

  it('header rules are the gateway own, even in front of a 2025 upstream: 400 -32020, 404 -32601, 400 -32602', async () => {
    const url = world.serverUrl('legacy');
    const token = await world.token(url);
    const mismatch = await call(url, token, toolsList, { 'mcp-method': 'tools/call' });
    expect(mismatch.response.status).toBe(400);
    expect(mismatch.json.error?.code).toBe(-32020);
    expect(mismatch.response.headers.get('cache-control')).toBe('no-store');
    const missingName = await call(url, token, { method: 'tools/call', params: { name: 'test_simple_text', arguments: {}, _meta: envelope } }, { 'mcp-method': 'tools/call' });
    expect(missingName.response.status).toBe(400);
    expect(missingName.json.error?.code).toBe(-32020);
    const removed = await call(url, token, { method: 'initialize', params: { _meta: envelope } }, { 'mcp-method': 'initialize' });
    expect(removed.response.status).toBe(404);
    expect(removed.json.error?.code).toBe(-32601);
    const noEnvelope = await call(url, token, { method: 'tools/list', params: {} }, { 'mcp-method': 'tools/list' });
    expect(noEnvelope.response.status).toBe(400);
    expect(noEnvelope.json.error?.code).toBe(-32602);
  });

  it('per-tool scopes apply to 2026-07-28 calls (403 insufficient_scope), and a granted scope passes', async () => {
    const url = world.serverUrl('next');
    const body = { method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' }, _meta: envelope } };
    const headers = { 'mcp-method': 'tools/call', 'mcp-name': 'echo' };
    const refused = await call(url, await world.token(url), body, headers);
    expect(refused.response.status).toBe(403);
    expect(refused.response.headers.get('www-authenticate')).toContain('insufficient_scope');
    const allowed = await call(url, await world.token(url, { scope: 'mcp tools:echo' }), body, headers);
    expect(allowed.response.status).toBe(200);
    expect(allowed.json.result?.resultType).toBe('complete');
  });

  it('a 2026-07-28 client of a 2025 upstream: one upstream session per principal, kept across requests; no token passthrough', async () => {
    const url = world.serverUrl('legacy');
    const body = { method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: envelope } };
    const headers = { 'mcp-method': 'tools/call', 'mcp-name': 'whoami' };
    const who = async (token: string) => {
      const { json } = await call(url, token, body, headers);
      const content = json.result?.content as Array<{ text: string }>;
      return JSON.parse(content[0]!.text) as { sessionId: string | null; authorization: string | null };
    };
    const alice = await world.token(url);
    const first = await who(alice);
    const second = await who(await world.token(url));
    const bob = await who(await world.token(url, { subject: 'bob' }));
    expect(first.sessionId).toEqual(expect.any(String));
    expect(second.sessionId).toBe(first.sessionId);
    expect(bob.sessionId).not.toBe(first.sessionId);
    expect(first.authorization).toBeNull();
  });

  it('GET and DELETE of a new-era client: 405, Allow: POST (no stream, no session)', async () => {
    const url = world.serverUrl('legacy');
    const token = await world.token(url);
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-protocol-version': MODERN } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
  });

  it('a session id is ignored on new-era requests', async () => {
    const url = world.serverUrl('legacy');
    const { response, json } = await call(url, await world.token(url), toolsList, { 'mcp-method': 'tools/list', 'mcp-session-id': 'no-such-session' });
    expect(response.status).toBe(200);
    expect(json.result?.resultType).toBe('complete');
    expect(Array.isArray(json.result?.tools)).toBe(true);
  });
});
