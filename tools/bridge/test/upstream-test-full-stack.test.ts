import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamTestResultSchema } from '@airlock/contracts';
import { BOOTSTRAP_ADMIN } from './support/admin-and-tokens.js';
import { runAirlock } from './support/admin-cli-harness.js';
import { FIXTURE_MAIN, TENANT, startFixture, startFullStack } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';

// "Test connection" (POST /admin/v1/tenants/{t}/servers/{s}/test) through the whole platform: the auth
// server asks the gateway, which connects to real upstreams: the MCP fixture over http and over stdio
// (a real process), and upstreams that fail each in their own way (nothing listening, an address the
// gateway's egress policy refuses, a stdio process that exits with a message). The CLI runs it too.

describe('upstream connection test through the full stack', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let token: string;
  let closedPort: number;

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.authUrl}/admin/v1/tenants/${TENANT}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown>, requestId: response.headers.get('x-request-id') };
  };
  const test = async (server: string) => {
    const answer = await api('POST', `/servers/${server}/test`, {});
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return upstreamTestResultSchema.parse(answer.json);
  };

  beforeAll(async () => {
    fixture = await startFixture();
    // A port nothing listens on: bound, read, released.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    stack = await startFullStack([
      { name: 'web', url: fixture.url },
      { name: 'down', url: `http://127.0.0.1:${closedPort}/mcp` },
    ]);
    const issued = await fetch(`${stack.authUrl}/t/admin/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${BOOTSTRAP_ADMIN.id}:${BOOTSTRAP_ADMIN.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    token = String(((await issued.json()) as { access_token: string }).access_token);
    // The auth server refuses a private address at registration; one stored before the policy changed is the gateway's to refuse.
    const { rows } = await stack.db.pg.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [TENANT]);
    await stack.db.pg.query(`INSERT INTO upstream_servers (id, tenant_id, name, transport, url, credential_kind, updated_at) VALUES (gen_random_uuid(), $1, 'private', 'http', 'http://10.255.255.1/mcp', 'none', now())`, [rows[0]!.id]);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
  });

  it('an http upstream: initialize and tools/list through the gateway, with timings; audited', async () => {
    const result = await test('web');
    expect(result).toMatchObject({ ok: true, server: 'web', transport: 'http', stage: 'tools/list', protocolVersion: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(result.error).toBeUndefined();
    expect(result.serverInfo?.name).toBeTruthy();
    expect(result.tools?.names).toContain('echo');
    expect(result.tools?.count).toBe(result.tools?.names.length);
    expect(result.timings.initializeMs).toBeGreaterThan(0);
    expect(result.timings.toolsListMs).toBeGreaterThan(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.initializeMs! + result.timings.toolsListMs!);

    // The audit record is written off the request path (queued): polled until it is there.
    await expect
      .poll(async () => ((await api('GET', '/audit?action=admin.server.test')).json['items'] as Array<Record<string, unknown>>)[0], { timeout: 15_000 })
      .toMatchObject({ target: 'web', outcome: 'success', details: expect.objectContaining({ ok: true, stage: 'tools/list' }) });
  });

  it('nothing listening: failed at connect, unreachable, with the network reason', async () => {
    const result = await test('down');
    expect(result).toMatchObject({ ok: false, stage: 'connect', error: { code: 'unreachable' }, tools: null });
    expect(result.error?.message).toContain(`127.0.0.1:${closedPort}`);
    expect(result.error?.message).toContain('ECONNREFUSED');
  });

  it("an address the gateway's egress policy refuses: failed at connect, egress_refused, with the policy's reason", async () => {
    const result = await test('private');
    expect(result).toMatchObject({ ok: false, stage: 'connect', error: { code: 'egress_refused' } });
    expect(result.error?.message).toContain('upstream address policy refused http://10.255.255.1/mcp');
  });

  it('a stdio upstream: the fixture process is started, initialized, listed and stopped', async () => {
    const created = await api('POST', '/servers', { name: 'local', transport: 'stdio', command: process.execPath, args: [FIXTURE_MAIN, '--stdio'], sandbox: false });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const result = await test('local');
    expect(result).toMatchObject({ ok: true, transport: 'stdio', stage: 'tools/list' });
    expect(result.tools?.names).toContain('echo');
    expect(result.timings.initializeMs).toBeGreaterThan(0);
  });

  it('a stdio process that exits: process_exited with its last stderr line', async () => {
    const created = await api('POST', '/servers', { name: 'broken', transport: 'stdio', command: process.execPath, args: ['-e', 'process.stderr.write("boom: FIXTURE_TOKEN is not set\\n"); process.exit(3)'], sandbox: false });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const result = await test('broken');
    expect(result).toMatchObject({ ok: false, transport: 'stdio', error: { code: 'process_exited' } });
    expect(result.error?.message).toContain('boom: FIXTURE_TOKEN is not set');
  });

  it('an unknown server is 404; the CLI prints the result and exits 0 on success, 1 with the reason on failure', async () => {
    expect((await api('POST', '/servers/nope/test', {})).status).toBe(404);
    const env = { AIRLOCK_AUTH_URL: stack.authUrl, AIRLOCK_ADMIN_CLIENT_ID: BOOTSTRAP_ADMIN.id, AIRLOCK_ADMIN_CLIENT_SECRET: BOOTSTRAP_ADMIN.secret };
    const ok = await runAirlock(['servers', 'test', TENANT, 'web'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/result:\s+ok/);
    expect(ok.stdout).toMatch(/tools:\s+\d+: .*echo/);
    const failed = await runAirlock(['servers', 'test', TENANT, 'down'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/result:\s+failed at connect: unreachable/);
    expect(failed.stderr).toMatch(/^airlock: upstream_test_failed: down failed at connect: unreachable: nothing answered/m);
    const json = await runAirlock(['servers', 'test', TENANT, 'web', '--json'], env);
    expect(upstreamTestResultSchema.parse(JSON.parse(json.stdout))).toMatchObject({ ok: true });
  });
});
