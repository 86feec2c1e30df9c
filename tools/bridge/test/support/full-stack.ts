import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { authServerConfigSchema, gatewayConfigSchema, loadConfig, sessionStoreConfigSchema } from '@airlock/config';
import { aggregatedMcpUrl, serverMcpUrl } from '@airlock/contracts';
import type { Infra, StartedApp } from '@airlock/platform';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues } from '@airlock/testing';
import type { TestDatabase, TestHotStore, TestQueues } from '@airlock/testing';
import { startAuthServer } from '@airlock/auth-server';
import { startSessionStore } from '@airlock/session-store';
import { startMcpGateway } from '@airlock/mcp-gateway';
import { randomBytes } from 'node:crypto';

// The whole platform in this process, as `npm start` runs it: auth server, session store and gateway on
// one Infra (real Postgres/Redis when DATABASE_URL/REDIS_URL are set, embedded otherwise), plus the
// project's MCP fixture as a real upstream process.

export const FIXTURE_MAIN = fileURLToPath(new URL('../../../mcp-fixture/dist/main.js', import.meta.url));
export const BRIDGE_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const TENANT = 'demo';
export const USER = { email: 'demo@airlock.local', password: 'demo-password-0123' };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface FullStack {
  authUrl: string;
  gatewayUrl: string;
  aggregatedUrl: string;
  serverUrl(name: string): string;
  /** Each gateway replica's own base URL (the first is `gatewayUrl`); all share the public URL tokens are minted for. */
  replicaUrls: string[];
  /** Each service's Prometheus endpoint, when started with `metrics: true`. */
  metricsUrls: Record<string, string | undefined>;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startFixture(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [FIXTURE_MAIN, '--http', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
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

export async function startFullStack(
  upstreams: Array<{ name: string; url: string; credentialKind?: 'none' | 'token_exchange' | 'oauth_user' }>,
  options: { metrics?: boolean; gatewayReplicas?: number; env?: Record<string, string> } = {},
): Promise<FullStack> {
  const db: TestDatabase = await createTestDatabase();
  const hot: TestHotStore = createTestHotStore();
  const queues: TestQueues = createTestQueues();
  const [authPort, storePort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    AUTH_PORT: String(authPort),
    AUTH_PUBLIC_URL: `http://127.0.0.1:${authPort}`,
    SESSION_STORE_PORT: String(storePort),
    SESSION_STORE_URL: `http://127.0.0.1:${storePort}`,
    GATEWAY_PORT: String(gatewayPort),
    GATEWAY_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    // Fixture upstreams listen on the loopback: allowed explicitly, as an operator would (never by default).
    AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32',
    AIRLOCK_DEMO_USER_EMAIL: USER.email,
    AIRLOCK_DEMO_USER_PASSWORD: USER.password,
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: 'test-admin',
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: 'test-admin-secret-0123456789abcdef',
    // Port 0: each service's /metrics on a free port of its own.
    ...(options.metrics ? { AUTH_METRICS_PORT: '0', SESSION_STORE_METRICS_PORT: '0', GATEWAY_METRICS_PORT: '0' } : {}),
    // More settings for every service (tracing).
    ...options.env,
  };
  const infra: Infra = {
    databaseUrl: db.url,
    pg: db.pg,
    hot,
    queues,
    masterKey: randomBytes(32),
    readiness: [],
    // As `npm start` on the embedded default: the auth server then creates the demo user.
    embedded: { database: true, hotStore: true, queues: true },
    close: async () => undefined,
  };
  const apps: StartedApp[] = [];
  apps.push(await startAuthServer({ config: loadConfig(authServerConfigSchema, env), infra, logger: createTestLogger({ name: 'auth-server', level: 'warn' }) }));
  apps.push(
    await startSessionStore({ config: loadConfig(sessionStoreConfigSchema, env), infra, logger: createTestLogger({ name: 'session-store', level: 'warn' }), tuning: { touchFlushMs: 50 } }),
  );
  const { rows } = await db.pg.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [TENANT]);
  for (const upstream of upstreams) {
    await db.pg.query(
      `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, credential_kind, updated_at) VALUES (gen_random_uuid(), $1, $2, 'http', $3, $4, now())`,
      [rows[0]!.id, upstream.name, upstream.url, upstream.credentialKind ?? 'none'],
    );
  }
  apps.push(await startMcpGateway({ config: loadConfig(gatewayConfigSchema, env), infra, logger: createTestLogger({ name: 'mcp-gateway', level: 'warn' }) }));
  const replicaUrls = [env.GATEWAY_PUBLIC_URL];
  // More replicas behind the same public URL (as behind a load balancer), each on its own port.
  for (let replica = 1; replica < (options.gatewayReplicas ?? 1); replica++) {
    const port = await freePort();
    apps.push(await startMcpGateway({ config: loadConfig(gatewayConfigSchema, { ...env, GATEWAY_PORT: String(port) }), infra, logger: createTestLogger({ name: `mcp-gateway-${replica}`, level: 'warn' }) }));
    replicaUrls.push(`http://127.0.0.1:${port}`);
  }
  return {
    authUrl: env.AUTH_PUBLIC_URL,
    gatewayUrl: env.GATEWAY_PUBLIC_URL,
    aggregatedUrl: aggregatedMcpUrl(env.GATEWAY_PUBLIC_URL, TENANT),
    serverUrl: (name) => serverMcpUrl(env.GATEWAY_PUBLIC_URL, TENANT, name),
    replicaUrls,
    metricsUrls: Object.fromEntries(apps.map((app) => [app.name, app.metricsUrl])),
    db,
    async close() {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await queues.close();
      await hot.close();
      await db.close();
    },
  };
}
