import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { USER, startFixture, startFullStack } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';
import { signInAndApprove } from '@airlock/testing';

// The `airlock` command as the README gives it: the committed bin, run by path from anywhere, building
// the bridge when needed; a fixed loopback port so one registration and its tokens serve every run.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'tools/bridge/bin/airlock.mjs');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const outside = () => mkdtempSync(join(tmpdir(), 'airlock-bridge-cli-'));

describe('the airlock bin', () => {
  it('builds the bridge when dist/ is missing and runs, from a directory outside the checkout; --help names --loopback-port', () => {
    // A copy of what a fresh clone holds (no dist/), with this checkout's node_modules.
    const clone = outside();
    try {
      for (const path of ['.swcrc', 'tools/build.mjs', 'tools/prisma-generate.mjs', 'tools/bridge/package.json', 'tools/bridge/bin', 'tools/bridge/src']) {
        cpSync(join(ROOT, path), join(clone, path), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
      const cwd = outside();
      const result = spawnSync(process.execPath, [join(clone, 'tools/bridge/bin/airlock.mjs'), '--help'], { cwd, encoding: 'utf8', timeout: 60_000 });
      rmSync(cwd, { recursive: true, force: true });
      expect(result.status, result.stderr).toBe(0);
      expect(existsSync(join(clone, 'tools/bridge/dist/main.js'))).toBe(true);
      expect(result.stdout).toMatch(/^usage: airlock connect <mcp-url>/);
      expect(result.stdout).toMatch(/--loopback-port <port>.*default \d+/);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('refuses a busy loopback port with one clear line and exit code 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dir = outside();
    try {
      const result = spawnSync(process.execPath, [BIN, 'connect', 'http://127.0.0.1:9/t/demo/mcp', '--loopback-port', String(port), '--token-file', join(dir, 'tokens.json')], {
        cwd: dir,
        encoding: 'utf8',
        input: '',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim()).toBe(`airlock: cannot listen on 127.0.0.1:${port} for the sign-in redirect: the port is in use (another bridge?); choose another with --loopback-port`);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 0 when the MCP host closes its stdin', async () => {
    const dir = outside();
    try {
      const child = spawn(process.execPath, [BIN, 'connect', 'http://127.0.0.1:9/t/demo/mcp', '--loopback-port', String(await freePort()), '--token-file', join(dir, 'tokens.json')], {
        cwd: dir,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the airlock bin against the platform', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  const dir = outside();
  const tokenFile = join(dir, 'tokens.json');

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }]);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One run of the bridge on its default loopback port; `signIns` counts the sign-ins it asked for. */
  async function run(signIns: { count: number }): Promise<Client> {
    mkdirSync(dir, { recursive: true });
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'connect', stack.serverUrl('web'), '--token-file', tokenFile], cwd: dir, stderr: 'pipe' });
    let seen = '';
    transport.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /Sign in to Airlock: open (\S+)/.exec(seen);
      if (match) {
        seen = '';
        signIns.count += 1;
        void signInAndApprove(new URL(match[1]!), USER).then((callback) => fetch(callback));
      }
    });
    const client = new Client({ name: 'local-app', version: '1.0.0' });
    await client.connect(transport);
    return client;
  }

  it('keeps one registration and its tokens across restarts: the second run signs in no one', async () => {
    const signIns = { count: 0 };
    const first = await run(signIns);
    expect(await first.callTool({ name: 'echo', arguments: { text: 'first run' } })).toMatchObject({ content: [{ text: 'first run' }] });
    await first.close();
    expect(signIns.count).toBe(1);
    const clientId = (JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, { client?: { client_id?: string } }>)[stack.serverUrl('web')]?.client?.client_id;
    expect(clientId).toBeTruthy();

    const second = await run(signIns);
    expect(await second.callTool({ name: 'echo', arguments: { text: 'second run' } })).toMatchObject({ content: [{ text: 'second run' }] });
    await second.close();
    expect(signIns.count).toBe(1);
    const after = (JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, { client?: { client_id?: string } }>)[stack.serverUrl('web')]?.client?.client_id;
    expect(after).toBe(clientId);
  }, 90_000);
});
