import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authServerConfigSchema, loadConfig } from '@airlock/config';
import type { Infra, StartedApp } from '@airlock/platform';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues, freePort } from '@airlock/testing';
// The tests take the one TOTP implementation from here, with the rest of their harness.
export { totpCode } from '@airlock/testing';
import type { TestDatabase, TestHotStore, TestQueues } from '@airlock/testing';
import { startAuthServer } from '@airlock/auth-server';
import { BOOTSTRAP_ADMIN } from './admin-and-tokens.js';

// `airlock admin ...` as an operator runs it: the committed bin as a child process against a real auth
// server in this process (real Postgres/Redis when DATABASE_URL/REDIS_URL are set).

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const BIN = join(ROOT, 'tools/bridge/bin/airlock.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the first stderr line matching `pattern` (the CLI is still running). */
  stderrLine(pattern: RegExp): Promise<string>;
  done: Promise<CliRun>;
}

export interface CliAuthServer {
  authUrl: string;
  db: TestDatabase;
  hot: TestHotStore;
  close(): Promise<void>;
}

export async function startCliAuthServer(): Promise<CliAuthServer> {
  const db = await createTestDatabase();
  const hot = createTestHotStore();
  const queues: TestQueues = createTestQueues();
  const port = await freePort();
  const authUrl = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    AUTH_PORT: String(port),
    AUTH_PUBLIC_URL: authUrl,
    GATEWAY_PUBLIC_URL: 'http://127.0.0.1:1',
    SESSION_STORE_URL: 'http://127.0.0.1:2',
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP_ADMIN.id,
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP_ADMIN.secret,
  };
  const redis = Boolean(process.env['REDIS_URL']);
  const infra: Infra = {
    databaseUrl: db.url,
    pg: db.pg,
    hot,
    queues,
    masterKey: randomBytes(32),
    readiness: [],
    embedded: { database: !process.env['DATABASE_URL'], hotStore: !redis, queues: !redis },
    close: async () => undefined,
  };
  const app: StartedApp = await startAuthServer({ config: loadConfig(authServerConfigSchema, env), infra, logger: createTestLogger({ name: 'auth-server', level: 'warn' }) });
  return {
    authUrl,
    db,
    hot,
    async close() {
      await app.close();
      await queues.close();
      await hot.close();
      await db.close();
    },
  };
}

/** The bin with exactly `env` on top of PATH/HOME-free basics: no client credentials unless given. */
export function startAirlock(args: string[], env: Record<string, string>): RunningCli {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AIRLOCK_') && name !== 'XDG_CONFIG_HOME'));
  const child = spawn(process.execPath, [BIN, 'admin', ...args], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const check = () => {
    for (const watcher of [...watchers]) {
      const line = stderr.split('\n').find((candidate) => watcher.pattern.test(candidate));
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(line);
      }
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    check();
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    done,
    stderrLine: (pattern) =>
      new Promise<string>((resolve, reject) => {
        watchers.push({ pattern, resolve });
        check();
        void done.then((run) => reject(new Error(`the CLI ended (${run.code}) before printing ${pattern}: ${run.stderr}`)));
      }),
  };
}

export function runAirlock(args: string[], env: Record<string, string>): Promise<CliRun> {
  return startAirlock(args, env).done;
}

