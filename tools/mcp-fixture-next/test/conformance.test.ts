import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { runRequirements, scoredServerScenarios, startNextFixtureHttp } from '../src/index.js';
import type { NextFixtureHttpHandle } from '../src/index.js';

// The 2026-07-28 fixture is the reference every gateway run of the new revision is compared with: it must
// pass every scored server scenario of `--requirements 2026-07-28`, with nothing beyond the committed
// (empty) expected-failures baseline.

const baseline = fileURLToPath(new URL('../conformance/expected-failures.2026-07-28.yaml', import.meta.url));
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const meta = (capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: { error?: { code: number }; result?: Record<string, unknown> } }> {
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
  return { status: response.status, json: (await response.json()) as { error?: { code: number }; result?: Record<string, unknown> } };
}

describe('mcp-fixture-next against conformance 0.2 --requirements 2026-07-28', () => {
  let fixture: NextFixtureHttpHandle;
  beforeAll(async () => {
    fixture = await startNextFixtureHttp({ port: 0 });
  });
  afterAll(async () => {
    await fixture.close();
  });

  it('passes every scored server scenario, within the committed baseline', { timeout: 300_000 }, async () => {
    const summary = await runRequirements(fixture.url, { requirements: '2026-07-28', expectedFailures: baseline });
    const failing = summary.scenarios.filter((s) => s.scored && s.failed > 0).map((s) => ({ scenario: s.scenario, failures: s.failures }));
    expect(failing).toEqual([]);
    expect(summary.exitCode).toBe(0);
    const required = await scoredServerScenarios('2026-07-28');
    expect(required.length).toBeGreaterThanOrEqual(37);
    expect([...summary.scenariosPassing].sort()).toEqual([...required].sort());
    expect(summary.scoredPassed).toBeGreaterThanOrEqual(120);
  });

  it('rejects a header that disagrees with the body with 400 and -32020', async () => {
    const body = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' }, _meta: meta() } };
    const base = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' };
    const mismatch = await post(fixture.url, body, { ...base, 'mcp-name': 'test_simple_text' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error?.code).toBe(-32020);
    const ok = await post(fixture.url, body, { ...base, 'mcp-name': 'echo' });
    expect(ok.status).toBe(200);
    expect(ok.json.result?.resultType).toBe('complete');
  });

  it('answers an undeclared capability with 400 and -32021, and a refused Origin with 403', async () => {
    const body = { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'test_missing_capability', arguments: {}, _meta: meta() } };
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'test_missing_capability' };
    const missing = await post(fixture.url, body, headers);
    expect(missing.status).toBe(400);
    expect(missing.json.error?.code).toBe(-32021);
    const foreign = await fetch(fixture.url, { method: 'POST', body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json', origin: 'http://evil.example.com' } });
    expect(foreign.status).toBe(403);
  });
});

describe('mcp-fixture-next over stdio, both client eras', () => {
  it('an SDK 2.x client negotiates 2026-07-28 and answers an input_required elicitation', { timeout: 30_000 }, async () => {
    const client = new ModernClient({ name: 'fixture-next-test', version: '1.0.0' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: 'auto' } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
    await client.connect(new ModernStdioTransport({ command: process.execPath, args: [main, '--stdio'], stderr: 'pipe' }));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(client.getProtocolEra()).toBe('modern');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['test_simple_text', 'test_input_required_result_elicitation', 'confirm_action', 'echo']));
      const result = await client.callTool({ name: 'confirm_action', arguments: { action: 'deploy' } });
      expect(result.content).toEqual([{ type: 'text', text: 'deploy: done' }]);
    } finally {
      await client.close();
    }
  });

  it('an SDK 1.x client (2025-11-25) gets the same elicitation as a server-to-client request', { timeout: 30_000 }, async () => {
    const client = new LegacyClient({ name: 'fixture-next-legacy-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'decline' };
    });
    await client.connect(new LegacyStdioTransport({ command: process.execPath, args: [main, '--stdio'], stderr: 'pipe' }));
    try {
      const result = await client.callTool({ name: 'confirm_action', arguments: { action: 'deploy' } });
      expect(asked).toEqual(['Confirm deploy?']);
      expect(result.content).toEqual([{ type: 'text', text: 'deploy: decline' }]);
    } finally {
      await client.close();
    }
  });
});
