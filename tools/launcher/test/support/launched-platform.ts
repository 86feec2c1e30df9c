import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm start` as a user runs it: the built launcher in its own process, on the embedded default (no
// DATABASE_URL or REDIS_URL, a fresh data dir), on free ports.

export const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const LAUNCHER = join(ROOT, 'tools/launcher/dist/main.js');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface LaunchedPlatform {
  authUrl: string;
  gatewayUrl: string;
  stdout: () => string;
  stop(): Promise<number | null>;
}

export async function launchPlatform(env: Record<string, string> = {}): Promise<LaunchedPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-launched-'));
  const [auth, gateway, store, demo] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'REDIS_URL'].includes(key)));
  const child: ChildProcess = spawn(process.execPath, [LAUNCHER], {
    cwd: ROOT,
    env: {
      ...base,
      AIRLOCK_DATA_DIR: dataDir,
      AUTH_PORT: String(auth),
      GATEWAY_PORT: String(gateway),
      SESSION_STORE_PORT: String(store),
      AIRLOCK_DEMO_SERVER_PORT: String(demo),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await Promise.race([
    new Promise<void>((resolve) => {
      const check = () => (stdout.includes('Press Ctrl-C to stop.') ? resolve() : setTimeout(check, 50));
      check();
    }),
    exited.then((code) => {
      throw new Error(`the launcher exited with ${code}: ${stderr}${stdout}`);
    }),
  ]);
  return {
    authUrl: `http://localhost:${auth}`,
    gatewayUrl: `http://localhost:${gateway}`,
    stdout: () => stdout,
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
