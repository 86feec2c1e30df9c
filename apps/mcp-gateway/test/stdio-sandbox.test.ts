import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGatewayWorld } from './support/gateway-harness.js';
import type { GatewayWorld } from './support/gateway-harness.js';
import { initializeBody, post } from './support/raw-mcp.js';

// stdio servers run in a bubblewrap sandbox: a probe server (no dependencies, so its sandbox holds only
// its own file and node) is called through the gateway with the SDK client and reports what it sees.
// The same probe opted out (`sandbox: false`) is the control: it sees what the sandbox hides.

const PROBE = fileURLToPath(new URL('./support/probe-server.mjs', import.meta.url));

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

async function connect(world: GatewayWorld, name: string): Promise<Client> {
  const url = world.serverUrl(name);
  const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${await world.token(url)}` } } }));
  return client;
}

async function probe(client: Client, tool: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  const answer = await client.callTool({ name: tool, arguments: args });
  return JSON.parse((answer.content as Array<{ text: string }>)[0]!.text) as Outcome;
}

async function initializeFails(world: GatewayWorld, name: string): Promise<string> {
  const url = world.serverUrl(name);
  const response = await post(url, initializeBody(), { authorization: `Bearer ${await world.token(url)}` });
  const text = await response.text();
  expect(response.headers.get('mcp-session-id')).toBeNull();
  expect(text).toContain('The upstream server is unavailable');
  return text;
}

describe('stdio upstreams in the sandbox', () => {
  let world: GatewayWorld;
  let dir: string;
  let caFile: string;
  let masterKeyFile: string;
  let boxed: Client;
  let open: Client;
  const masterKey = randomBytes(32).toString('base64');
  const notAllowed = `not-allowed-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-sandbox-test-'));
    caFile = join(dir, 'extra-ca.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=Inspecting Proxy CA'], { stdio: 'ignore' });
    // NODE_EXTRA_CA_CERTS is on the default allow-list; SANDBOX_TEST_VARIABLE is not.
    world = await startGatewayWorld({}, { NODE_EXTRA_CA_CERTS: caFile, SANDBOX_TEST_VARIABLE: notAllowed }, { logLevel: 'info' });
    // What resolveMasterKey writes in development.
    masterKeyFile = join(world.dataDir, 'master.key');
    writeFileSync(masterKeyFile, masterKey, { mode: 0o600 });
    await world.addUpstream({ name: 'boxed', transport: 'stdio', command: process.execPath, args: [PROBE], readOnlyPaths: [PROBE], secrets: { env: { PROBE_OWN: 'own-value' } } });
    await world.addUpstream({ name: 'open', transport: 'stdio', command: process.execPath, args: [PROBE], sandbox: false, readOnlyPaths: [] });
    await world.addUpstream({ name: 'crashy', transport: 'stdio', command: process.execPath, args: [PROBE, '--crash'], readOnlyPaths: [PROBE] });
    boxed = await connect(world, 'boxed');
    open = await connect(world, 'open');
  });
  afterAll(async () => {
    await boxed?.close();
    await open?.close();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cannot read the master key nor list the data directory; the opted-out control can', async () => {
    expect(await probe(boxed, 'read_file', { path: masterKeyFile })).toMatchObject({ ok: false });
    expect(await probe(boxed, 'list_dir', { path: world.dataDir })).toMatchObject({ ok: false });
    expect(await probe(open, 'read_file', { path: masterKeyFile })).toEqual({ ok: true, value: masterKey });
    expect(await probe(open, 'list_dir', { path: world.dataDir })).toEqual({ ok: true, value: ['master.key'] });
  });

  it("cannot see the gateway's working directory and works in its own empty home", async () => {
    const gatewayCwd = process.cwd();
    expect(readFileSync(join(gatewayCwd, 'package.json'), 'utf8')).not.toBe('');
    expect(await probe(boxed, 'read_file', { path: join(gatewayCwd, 'package.json') })).toMatchObject({ ok: false });
    expect(await probe(boxed, 'whoami')).toMatchObject({ ok: true, value: { cwd: '/home/airlock', uid: 1000 } });
    expect(await probe(boxed, 'list_dir', { path: '/home/airlock' })).toEqual({ ok: true, value: [] });
    expect(await probe(open, 'whoami')).toMatchObject({ ok: true, value: { cwd: gatewayCwd } });
  });

  it("cannot read the gateway's environment through /proc, nor see its processes", async () => {
    // The gateway runs in this process: its environ holds DATABASE_URL, secrets and all.
    const environ = readFileSync(`/proc/${process.pid}/environ`, 'utf8');
    const marker = environ.split('\0')[0]!;
    expect(marker).not.toBe('');
    expect(await probe(open, 'read_file', { path: `/proc/${process.pid}/environ` })).toMatchObject({ ok: true, value: expect.stringContaining(marker) });
    const read = await probe(boxed, 'read_file', { path: `/proc/${process.pid}/environ` });
    expect(read.ok ? read.value : '').not.toContain(marker);
    const listed = await probe(boxed, 'list_dir', { path: '/proc' });
    expect(listed.ok).toBe(true);
    expect((listed as { value: string[] }).value).not.toContain(String(process.pid));
  });

  it('sees only the allow-listed environment, its own variables, and the file an allowed variable names', async () => {
    const env = (await probe(boxed, 'environment')) as { ok: true; value: Record<string, string> };
    expect(Object.keys(env.value).sort()).toEqual(expect.arrayContaining(['HOME', 'NODE_EXTRA_CA_CERTS', 'PROBE_OWN']));
    // PWD: bwrap sets it to the directory it changed to, the sandbox's home.
    const allowed = new Set(['PWD', 'PATH', 'LANG', 'TZ', 'HOME', 'NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'SSL_CERT_FILE', 'PROBE_OWN']);
    expect(Object.keys(env.value).filter((name) => !allowed.has(name))).toEqual([]);
    expect(env.value).toMatchObject({ HOME: '/home/airlock', PWD: '/home/airlock', NODE_EXTRA_CA_CERTS: caFile, PROBE_OWN: 'own-value' });
    expect(Object.values(env.value)).not.toContain(notAllowed);
    expect(await probe(boxed, 'read_file', { path: caFile })).toEqual({ ok: true, value: readFileSync(caFile, 'utf8') });
    // A file next to it, not named by any variable, stays out.
    expect(await probe(boxed, 'read_file', { path: join(dir, 'key.pem') })).toMatchObject({ ok: false });
  });

  it('logs the stderr of a server that exits before initialize, tagged with tenant and server, and tells the client only that it is unavailable', async () => {
    const answer = await initializeFails(world, 'crashy');
    expect(answer).not.toContain('self-signed');
    await vi.waitFor(() => {
      const lines = world.logs.filter((record) => record['tenant'] === world.tenant && record['upstream'] === 'crashy');
      expect(lines.some((record) => record['stream'] === 'stderr' && String(record.msg).includes('self-signed certificate in certificate chain'))).toBe(true);
      const report = lines.find((record) => record.msg === 'stdio server failed to initialize');
      expect(report?.['stderr']).toEqual(expect.arrayContaining(['probe: cannot reach the registry: self-signed certificate in certificate chain']));
    });
  });
});

describe('stdio upstreams when the sandbox is unavailable', () => {
  let world: GatewayWorld;

  beforeAll(async () => {
    world = await startGatewayWorld({}, { GATEWAY_STDIO_SANDBOX_BINARY: '/nonexistent/bwrap' });
    await world.addUpstream({ name: 'boxed', transport: 'stdio', command: process.execPath, args: [PROBE], readOnlyPaths: [PROBE] });
    await world.addUpstream({ name: 'open', transport: 'stdio', command: process.execPath, args: [PROBE], sandbox: false, readOnlyPaths: [] });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('fails closed: the server does not start and the log names the missing binary', async () => {
    await initializeFails(world, 'boxed');
    const report = world.logs.find((record) => record['upstream'] === 'boxed' && record.msg === 'stdio server not started');
    expect(JSON.stringify(report?.['err'])).toContain('/nonexistent/bwrap');
  });

  it('fails closed with bwrap’s own reason in the log when it cannot build the sandbox', async () => {
    // Stands in for bwrap on a host without unprivileged user namespaces: same message, same exit.
    const dir = mkdtempSync(join(tmpdir(), 'airlock-fake-bwrap-'));
    const fake = join(dir, 'bwrap');
    writeFileSync(fake, '#!/bin/sh\necho "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n', { mode: 0o755 });
    const denied = await startGatewayWorld({}, { GATEWAY_STDIO_SANDBOX_BINARY: fake });
    try {
      await denied.addUpstream({ name: 'boxed', transport: 'stdio', command: process.execPath, args: [PROBE], readOnlyPaths: [PROBE] });
      await initializeFails(denied, 'boxed');
      await vi.waitFor(() => {
        const report = denied.logs.find((record) => record['upstream'] === 'boxed' && String(record.msg).startsWith('stdio server not started: the sandbox could not be set up'));
        expect(report?.msg).toContain('does not allow non-privileged user namespaces');
        expect(report?.['tenant']).toBe(denied.tenant);
      });
    } finally {
      await denied.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still starts a server the operator opted out of the sandbox', async () => {
    const client = await connect(world, 'open');
    expect(await probe(client, 'whoami')).toMatchObject({ ok: true, value: { cwd: process.cwd() } });
    await client.close();
  });
});
