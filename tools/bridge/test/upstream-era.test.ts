import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT, startFixture, startFullStack } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';
import { adminApi } from './support/admin-and-tokens.js';
import { runNodeForJson, startTokenProxy } from '@airlock/testing';
import type { AdminApi } from './support/admin-and-tokens.js';

// Issue 13 item 4: servers registered through the admin API only (no database writes) are reached in the
// era they speak. The gateway detects it on connect (2026-07-28 `server/discover`, else the 2025-11-25
// handshake) and records it, so the admin record shows it; a pin skips detection. Each era's conformance
// requirements run directly and through the gateway: nothing that passes directly may fail through it.

const NEXT = new URL('../../mcp-fixture-next/', import.meta.url);
const NEXT_MAIN = fileURLToPath(new URL('dist/main.js', NEXT));
const NEXT_RUNNER = pathToFileURL(fileURLToPath(new URL('dist/conformance-runner.js', NEXT))).href;
const BASELINE_2026 = fileURLToPath(new URL('conformance/expected-failures.2026-07-28.yaml', NEXT));

type Requirements = '2025-11-25' | '2026-07-28';

interface RequirementsSummary {
  scoredPassed: number;
  scenariosPassing: string[];
  scenarios: Array<{ scenario: string; scored: boolean; failed: number; failures: Array<{ id: string; message: string }> }>;
}

/** The conformance 0.2 CLI with `--requirements` (fixture-next's runner) in a child process. */
function runRequirements(url: string, requirements: Requirements): Promise<RequirementsSummary> {
  const run = { requirements, ...(requirements === '2026-07-28' ? { expectedFailures: BASELINE_2026 } : {}) };
  const script = `const { runRequirements } = await import(${JSON.stringify(NEXT_RUNNER)});
process.stdout.write(JSON.stringify(await runRequirements(${JSON.stringify(url)}, ${JSON.stringify(run)})));`;
  return runNodeForJson<RequirementsSummary>(['--input-type=module', '-e', script]);
}

/** The 2026-07-28 fixture serving both eras (2025 clients statelessly), as most servers of the new era will. */
async function startNextFixture(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [NEXT_MAIN, '--http', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  return { url, child };
}

/** A 2026-07-28 request (no session) through the gateway, answered as JSON or one SSE message. */
async function modernRequest(url: string, token: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; message: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
    }),
  });
  const text = await response.text();
  const data = (response.headers.get('content-type') ?? '').includes('text/event-stream') ? (/^data: ?(.*)$/m.exec(text)?.[1] ?? '{}') : text;
  return { status: response.status, message: JSON.parse(data) as Record<string, unknown> };
}

describe('every upstream registered through the admin API is reached in its own era', () => {
  let stack: FullStack;
  let admin: AdminApi;
  let legacy: { url: string; child: ChildProcess };
  let next: { url: string; child: ChildProcess };
  const proxies: Array<{ url: string; close(): Promise<void> }> = [];
  let createdNext: Record<string, unknown> = {};

  /** The server's endpoint through a proxy that adds a machine client's token for it. */
  async function throughGateway(name: string): Promise<string> {
    const resource = stack.serverUrl(name);
    const proxy = await startTokenProxy(stack.gatewayUrl, await admin.machineToken(TENANT, resource));
    proxies.push(proxy);
    return `${proxy.url}${new URL(resource).pathname}`;
  }

  const record = async (name: string) => {
    const answer = await admin.call('GET', `/tenants/${TENANT}/servers/${name}`);
    expect(answer.status).toBe(200);
    return answer.json;
  };

  beforeAll(async () => {
    legacy = await startFixture();
    next = await startNextFixture();
    stack = await startFullStack([]);
    admin = await adminApi(stack.authUrl);
    for (const [name, url] of [['legacy', legacy.url], ['next', next.url]] as const) {
      const created = await admin.call('POST', `/tenants/${TENANT}/servers`, { name, transport: 'http', url });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      if (name === 'next') createdNext = created.json;
    }
  });
  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
    await stack?.close();
    legacy?.child.kill();
    next?.child.kill();
  });

  it('2026-07-28 requirements: the 2026 server passes through the gateway every scenario it passes directly', { timeout: 600_000 }, async () => {
    const direct = await runRequirements(next.url, '2026-07-28');
    const through = await runRequirements(await throughGateway('next'), '2026-07-28');
    console.info(`2026-07-28 requirements, 2026 server: directly ${direct.scenariosPassing.length} scenarios (${direct.scoredPassed} checks), through the gateway ${through.scenariosPassing.length} (${through.scoredPassed})`);
    const passing = new Set(through.scenariosPassing);
    expect(direct.scenariosPassing.filter((scenario) => !passing.has(scenario))).toEqual([]);
    expect(through.scoredPassed).toBeGreaterThanOrEqual(direct.scoredPassed);
    expect(await record('next')).toMatchObject({ detectedProtocolVersion: '2026-07-28' });
  });

  it('2025-11-25 requirements: the 2025 server passes through the gateway every scenario it passes directly', { timeout: 600_000 }, async () => {
    const direct = await runRequirements(legacy.url, '2025-11-25');
    const through = await runRequirements(await throughGateway('legacy'), '2025-11-25');
    console.info(`2025-11-25 requirements, 2025 server: directly ${direct.scenariosPassing.length} scenarios (${direct.scoredPassed} checks), through the gateway ${through.scenariosPassing.length} (${through.scoredPassed})`);
    const passing = new Set(through.scenariosPassing);
    // A quick lone request is answered as one JSON body, which this scenario scores as INFO, not a pass (see the gateway's conformance test).
    expect(direct.scenariosPassing.filter((scenario) => !passing.has(scenario) && scenario !== 'server-sse-multiple-streams')).toEqual([]);
    expect(await record('legacy')).toMatchObject({ detectedProtocolVersion: '2025-11-25' });
  });

  it('2025-11-25 requirements: the 2026 server (reached natively for a 2025 client) passes through the gateway every scenario it passes directly', { timeout: 600_000 }, async () => {
    const direct = await runRequirements(next.url, '2025-11-25');
    const through = await runRequirements(await throughGateway('next'), '2025-11-25');
    console.info(`2025-11-25 requirements, 2026 server: directly ${direct.scenariosPassing.length} scenarios (${direct.scoredPassed} checks), through the gateway ${through.scenariosPassing.length} (${through.scoredPassed})`);
    const passing = new Set(through.scenariosPassing);
    // logging/setLevel has no 2026-07-28 request: the gateway carries the level in each request's `_meta`.
    expect(direct.scenariosPassing.filter((scenario) => !passing.has(scenario))).toEqual([]);
    expect(await record('next')).toMatchObject({ detectedProtocolVersion: '2026-07-28' });
  });

  it('the admin record shows the era detected for each server, and when', async () => {
    // Nothing detected before the first connect.
    expect(createdNext).toMatchObject({ protocolEra: 'auto', detectedProtocolVersion: null, protocolDetectedAt: null });
    const [nextRecord, legacyRecord] = [await record('next'), await record('legacy')];
    expect(nextRecord).toMatchObject({ protocolEra: 'auto', detectedProtocolVersion: '2026-07-28' });
    expect(legacyRecord).toMatchObject({ protocolEra: 'auto', detectedProtocolVersion: '2025-11-25' });
    for (const detected of [nextRecord, legacyRecord]) expect(Number.isNaN(Date.parse(String(detected['protocolDetectedAt'])))).toBe(false);
  });

  it('a pinned era is honoured: no detection, and the 2026 server pinned to 2025-11-25 is reached through the bridge', async () => {
    const created = await admin.call('POST', `/tenants/${TENANT}/servers`, { name: 'pinned', transport: 'http', url: next.url, protocolEra: '2025-11-25' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ protocolEra: '2025-11-25', detectedProtocolVersion: null });
    const token = await admin.machineToken(TENANT, stack.serverUrl('pinned'));
    // The native path relays the upstream's own discover result; the bridge answers from its 2025 session.
    const nextToken = await admin.machineToken(TENANT, stack.serverUrl('next'));
    const native = await modernRequest(stack.serverUrl('next'), nextToken, 'server/discover');
    const bridged = await modernRequest(stack.serverUrl('pinned'), token, 'server/discover');
    expect(native.status).toBe(200);
    expect(bridged.status).toBe(200);
    expect(native.message['result']).toMatchObject({ ttlMs: 300_000 });
    expect(bridged.message['result']).not.toMatchObject({ ttlMs: 300_000 });
    expect(await record('pinned')).toMatchObject({ protocolEra: '2025-11-25', detectedProtocolVersion: null, protocolDetectedAt: null });

    // Unpinned by an update: detected again on the next connect.
    const updated = await admin.call('PATCH', `/tenants/${TENANT}/servers/pinned`, { protocolEra: 'auto' });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ protocolEra: 'auto', detectedProtocolVersion: null });
    const unpinned = await modernRequest(stack.serverUrl('pinned'), token, 'server/discover');
    expect(unpinned.message['result']).toMatchObject({ ttlMs: 300_000 });
    expect(await record('pinned')).toMatchObject({ protocolEra: 'auto', detectedProtocolVersion: '2026-07-28' });
  });

  it('an invalid pin is a 400 invalid_request and changes nothing', async () => {
    const refused = await admin.call('POST', `/tenants/${TENANT}/servers`, { name: 'bogus', transport: 'http', url: next.url, protocolEra: '2027-01-01' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_request' });
    expect(refused.json['error_description']).toBe('protocolEra: must be auto, 2025-11-25 or 2026-07-28');
    expect((await admin.call('GET', `/tenants/${TENANT}/servers/bogus`)).status).toBe(404);

    const before = await record('next');
    // With a valid change beside it: nothing of the request applies.
    const patched = await admin.call('PATCH', `/tenants/${TENANT}/servers/next`, { url: legacy.url, protocolEra: 'legacy' });
    expect(patched.status).toBe(400);
    expect(patched.json).toEqual({ error: 'invalid_request', error_description: 'protocolEra: must be auto, 2025-11-25 or 2026-07-28' });
    const after = await record('next');
    expect(after).toEqual(before);
  });
});
