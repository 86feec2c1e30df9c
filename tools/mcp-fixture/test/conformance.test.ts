import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { runConformance, startFixtureHttp } from '../src/index.js';
import type { ConformanceSummary, FixtureHttpHandle } from '../src/index.js';

// The fixture is the reference every gateway conformance run is compared with, so it must pass every
// server scenario of both conformance lines with zero failures, and expose every tool they name.

const failures = (summary: ConformanceSummary) => summary.scenarios.filter((s) => s.failed > 0).map((s) => ({ scenario: s.scenario, failures: s.failures }));

describe('mcp-fixture against the MCP conformance suite', () => {
  let fixture: FixtureHttpHandle;
  beforeAll(async () => {
    fixture = await startFixtureHttp({ port: 0 });
  });
  afterAll(async () => {
    await fixture.close();
  });

  it('passes the 0.1 active suite', { timeout: 180_000 }, async () => {
    const summary = await runConformance(fixture.url, { line: '0.1', suite: 'active' });
    expect(failures(summary)).toEqual([]);
    expect(summary.scenarios.map((s) => s.scenario)).toEqual(expect.arrayContaining(['tools-list', 'tools-call-sampling', 'tools-call-elicitation', 'dns-rebinding-protection']));
    expect(summary.scenarios.length).toBeGreaterThanOrEqual(30);
    expect(summary.exitCode).toBe(0);
  });

  it('passes the 0.1 pending suite', { timeout: 120_000 }, async () => {
    const summary = await runConformance(fixture.url, { line: '0.1', suite: 'pending' });
    expect(failures(summary)).toEqual([]);
    expect(summary.scenarios.map((s) => s.scenario).sort()).toEqual(['json-schema-2020-12', 'server-sse-polling']);
  });

  it('passes the 0.2 alpha line with --requirements 2025-11-25, resuming the polled stream', { timeout: 180_000 }, async () => {
    const summary = await runConformance(fixture.url, { line: '0.2', requirements: '2025-11-25' });
    expect(failures(summary)).toEqual([]);
    expect(summary.passed).toBeGreaterThanOrEqual(80);
    expect(summary.scenarios.find((s) => s.scenario === 'server-sse-polling')?.passed).toBeGreaterThanOrEqual(3);
  });

  it('refuses a rebinding Host and serves a loopback one', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const evil = await fetch(fixture.url, { method: 'POST', body, headers: { ...headers, origin: 'http://evil.example.com' } });
    expect(evil.status).toBe(403);
    const missingSession = await fetch(fixture.url, { method: 'POST', body, headers });
    expect(missingSession.status).toBe(400);
  });
});

describe('mcp-fixture over stdio', () => {
  it('lists every conformance tool and answers a call', async () => {
    // The built entry point, exactly what gateways spawn (`npm test` builds first).
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const transport = new StdioClientTransport({ command: process.execPath, args: [main, '--stdio'], stderr: 'pipe' });
    const client = new Client({ name: 'fixture-test', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['test_simple_text', 'test_sampling', 'test_elicitation', 'json_schema_2020_12_tool', 'test_reconnection', 'echo']),
    );
    const result = await client.callTool({ name: 'echo', arguments: { text: 'over stdio' } });
    expect(result.content).toEqual([{ type: 'text', text: 'over stdio' }]);
    await client.close();
  });
});
