import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The environment of the test run without the services it points at: each case says what it sets. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'REDIS_URL'].includes(key)));
  return { ...clean, ...env };
}

/** Runs a built entry point (`npm start` and the containers run dist/, not src/) to its exit. */
function run(entry: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [entry], { cwd: root, env: cleanEnv(env), encoding: 'utf8', timeout: 30_000 });
}

const launcher = 'tools/launcher/dist/main.js';
const serviceMains = [
  { service: 'auth-server', entry: 'apps/auth-server/dist/main.js', badPort: 'AUTH_PORT' },
  { service: 'session-store', entry: 'apps/session-store/dist/main.js', badPort: 'SESSION_STORE_PORT' },
  { service: 'mcp-gateway', entry: 'apps/mcp-gateway/dist/main.js', badPort: 'GATEWAY_PORT' },
];

beforeAll(() => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
});

describe('launcher with a bad configuration', () => {
  it('exits 1 with one message naming every bad key and no stack trace', () => {
    const result = run(launcher, { GATEWAY_PORT: 'abc', DATABASE_URL: 'nope', AUTH_PORT: '70000' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(result.stderr).toContain('GATEWAY_PORT: must be a port number');
    expect(result.stderr).toContain('DATABASE_URL: must be a postgresql://');
    expect(result.stderr).toContain('AUTH_PORT: must be a port number');
    expect(lines).toHaveLength(4);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('nope');
  });

  it('never echoes a bad value, which may be a secret', () => {
    const result = run(launcher, { REDIS_URL: 'http://:hunter2@cache:6379' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('REDIS_URL: must be a redis://');
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe.each(serviceMains)('$service main with a bad configuration', ({ entry, badPort }) => {
  it('exits 1 with one message naming every bad key, no stack trace and no value', () => {
    const result = run(entry, { [badPort]: 'abc', DATABASE_URL: 'postgresql-ish:hunter2', LOG_LEVEL: 'loud' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const [heading, ...keys] = result.stderr.trim().split('\n');
    expect(heading).toBe('Invalid configuration:');
    expect(keys).toHaveLength(3);
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}DATABASE_URL: must be a postgresql:\/\//),
        expect.stringMatching(/^ {2}LOG_LEVEL: /),
        `  ${badPort}: must be a port number (0-65535)`,
      ]),
    );
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('a service main started and stopped', () => {
  it('comes up on the embedded default, prints its banner, and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-service-main-'));
    try {
      const child = spawn(process.execPath, ['apps/session-store/dist/main.js'], { cwd: root, env: cleanEnv({ AIRLOCK_DATA_DIR: dataDir, SESSION_STORE_PORT: '0', LOG_LEVEL: 'warn' }) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await expect.poll(() => stdout, { timeout: 60_000, interval: 100 }).toMatch(/session store\s+http:\/\/127\.0\.0\.1:\d+\/v1\/t\/<tenant>\/sessions/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('launcher when a port is taken', () => {
  it('exits 1 naming the port, without a stack trace, after closing what it opened', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-launcher-'));
    try {
      const child = spawn(process.execPath, [launcher], {
        cwd: root,
        env: cleanEnv({ AIRLOCK_DATA_DIR: dataDir, AUTH_PORT: '0', SESSION_STORE_PORT: String(port), GATEWAY_PORT: '0', AIRLOCK_DEMO_SERVER_PORT: '0', LOG_LEVEL: 'warn' }),
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`Cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      blocker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
