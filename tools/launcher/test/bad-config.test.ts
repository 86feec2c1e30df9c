import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function launch(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'REDIS_URL'].includes(key)));
  return spawnSync(process.execPath, ['tools/launcher/dist/main.js'], { cwd: root, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('launcher with a bad configuration', () => {
  beforeAll(() => {
    // The launcher runs from dist/, as `npm start` runs it.
    const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
  });

  it('exits 1 with one message naming every bad key and no stack trace', () => {
    const result = launch({ GATEWAY_PORT: 'abc', DATABASE_URL: 'nope', AUTH_PORT: '70000' });
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
    const result = launch({ REDIS_URL: 'http://:hunter2@cache:6379' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('REDIS_URL: must be a redis://');
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('launcher when a port is taken', () => {
  it('exits 1 naming the port, without a stack trace, after closing what it opened', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-launcher-'));
    try {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'REDIS_URL'].includes(key)));
      const child = spawn(process.execPath, ['tools/launcher/dist/main.js'], {
        cwd: root,
        env: { ...clean, AIRLOCK_DATA_DIR: dataDir, AUTH_PORT: '0', SESSION_STORE_PORT: String(port), GATEWAY_PORT: '0', LOG_LEVEL: 'warn' },
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
