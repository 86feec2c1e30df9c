import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { serverMcpUrl } from '@airlock/contracts';
import { migrate } from '@airlock/db';
import { authorizeUser, CookieJar } from './browser-flow.js';
import { freePort } from './free-port.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';

// The whole platform for a benchmark: its own Postgres database on DATABASE_URL's server (created,
// migrated, dropped at the end), the three services as separate processes (so each one's CPU time is
// its own), and a fresh tenant set up the way an operator and a user would: through the admin API and
// the login and consent forms. The services take no Redis key prefix: the run uses a fresh tenant slug
// and a Redis logical database no other client is using (BullMQ queues are per database: two runs on one
// database took each other's audit jobs and refused them, unknown tenant), and flushes nothing.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const entries = {
  auth: join(root, 'apps/auth-server/dist/main.js'),
  sessionStore: join(root, 'apps/session-store/dist/main.js'),
  gateway: join(root, 'apps/mcp-gateway/dist/main.js'),
};

// The gateway's per-tenant and per-session rate limits (10,000 and 600 calls a minute by default) raised
// so far that a benchmark never meets them. The limiter still runs (its hot-store work is measured).
const UNLIMITED = String(1_000_000_000);

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const ADMIN = { id: 'bench-admin', secret: randomBytes(24).toString('base64url') };
const USER = { email: 'bench-user@airlock.local', password: randomBytes(12).toString('base64url') };

export interface PlatformOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Upstream servers to register in the bench tenant: name -> URL (registered before any traffic). */
  upstreams: Record<string, string>;
  /** NODE_OPTIONS for the service processes only (e.g. `--cpu-prof --cpu-prof-dir=...`), not the load generator. */
  serviceNodeOptions?: string | undefined;
}

export interface UserTokens {
  accessToken: string;
  refreshToken: string;
}

export interface Platform {
  tenant: string;
  /** The run's own database (scenarios that seed rows in bulk or time a bare query against it). */
  databaseUrl: string;
  /** The run's own Redis database (scenarios that seed live records in bulk). */
  redisUrl: string;
  masterKey: Buffer;
  authUrl: string;
  gatewayUrl: string;
  sessionStoreUrl: string;
  auth: ServiceProcess;
  sessionStore: ServiceProcess;
  gateway: ServiceProcess;
  /** Redis's own CPU time so far (INFO cpu, user + sys): the whole server's, so other clients count too. */
  redisCpuMicros(): Promise<number>;
  /** Pre-registered confidential client_credentials client of the bench tenant. */
  serviceClient: { clientId: string; clientSecret: string };
  /** Pre-registered public client (authorization code + PKCE, rotating refresh tokens). */
  userClientId: string;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** A user's tokens for one resource, through the login and consent forms (one browser per resource, reused). */
  userTokens(resource: string): Promise<UserTokens>;
  serverResource(name: string): string;
  /**
   * Another gateway replica on the same database and hot store, e.g. speaking h2c; `env` adds variables
   * (tracing), `entry` runs another build of the gateway (a baseline commit's `apps/mcp-gateway/dist/main.js`).
   */
  startGatewayReplica(options: { h2c: boolean; env?: Record<string, string>; entry?: string; name?: string }): Promise<ServiceProcess>;
  close(): Promise<void>;
}

function databaseUrlFor(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const dbName = `airlock_bench_${randomBytes(6).toString('hex')}`;
  const maintenance = new pg.Client({ connectionString: options.databaseUrl });
  await maintenance.connect();
  await maintenance.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = databaseUrlFor(options.databaseUrl, dbName);
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  const processes: ServiceProcess[] = [];
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redisUrl = await unusedRedisDatabase(redis, options.redisUrl);
  const cleanup = async () => {
    for (const child of processes.reverse()) await child.stop().catch(() => undefined);
    redis.disconnect();
    await maintenance.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((error: unknown) => process.stderr.write(`bench: could not drop ${dbName}: ${String(error)}\n`));
    await maintenance.end();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await migrate({ databaseUrl });
    const [authPort, gatewayPort, sessionPort] = [await freePort(), await freePort(), await freePort()];
    const authUrl = `http://127.0.0.1:${authPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const sessionStoreUrl = `http://127.0.0.1:${sessionPort}`;
    const masterKey = randomBytes(32);
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
      PATH: process.env['PATH'],
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      AIRLOCK_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      AIRLOCK_MASTER_KEY: masterKey.toString('base64'),
      HOST: '127.0.0.1',
      AUTH_PORT: String(authPort),
      AUTH_PUBLIC_URL: authUrl,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_PUBLIC_URL: gatewayUrl,
      SESSION_STORE_PORT: String(sessionPort),
      SESSION_STORE_URL: sessionStoreUrl,
      // Fixture upstreams listen on the loopback: allowed explicitly (the platform's own ports stay refused).
      AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32',
      AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN.id,
      AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN.secret,
      GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE: UNLIMITED,
      GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE: UNLIMITED,
      ...(options.serviceNodeOptions ? { NODE_OPTIONS: options.serviceNodeOptions } : {}),
      ...extra,
    });
    const auth = await startServiceProcess({ name: 'auth-server', entry: entries.auth, env: env({}), url: authUrl });
    processes.push(auth);
    const [sessionStore, gateway] = await Promise.all([
      startServiceProcess({ name: 'session-store', entry: entries.sessionStore, env: env({}), url: sessionStoreUrl }),
      startServiceProcess({ name: 'mcp-gateway', entry: entries.gateway, env: env({}), url: gatewayUrl }),
    ]);
    processes.push(sessionStore, gateway);

    let adminToken: { value: string; expiresAt: number } | undefined;
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const getAdminToken = async () => {
      if (adminToken && adminToken.expiresAt > Date.now() + 30_000) return adminToken.value;
      const response = await fetch(`${authUrl}/t/admin/token`, {
        method: 'POST',
        headers: { authorization: basic(ADMIN.id, ADMIN.secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
      });
      const json = (await response.json()) as { access_token?: string; expires_in?: number };
      if (response.status !== 200 || !json.access_token) throw new Error(`admin token: ${response.status} ${JSON.stringify(json)}`);
      adminToken = { value: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 60) * 1000 };
      return adminToken.value;
    };
    const admin = async (method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { authorization: `Bearer ${await getAdminToken()}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${authUrl}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    };
    const must = async (method: string, path: string, body?: unknown) => {
      const result = await admin(method, path, body);
      if (result.status >= 300) throw new Error(`admin ${method} ${path}: ${result.status} ${JSON.stringify(result.json)}`);
      return result.json;
    };

    const tenant = `bench-${randomBytes(4).toString('hex')}`;
    await must('POST', '/tenants', { slug: tenant, displayName: 'Benchmark', accessTokenTtl: 86_400 });
    await must('POST', `/tenants/${tenant}/users`, { email: USER.email, password: USER.password });
    const userClient = await must('POST', `/tenants/${tenant}/clients`, {
      client_name: 'Benchmark user client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    const service = await must('POST', `/tenants/${tenant}/clients`, {
      client_name: 'Benchmark service',
      // The admin API wants redirect URIs even for a client_credentials-only client.
      redirect_uris: [REDIRECT_URI],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    for (const [name, url] of Object.entries(options.upstreams)) await must('POST', `/tenants/${tenant}/servers`, { name, transport: 'http', url });

    // One browser per resource: a second resource authorized in the same browser session reuses the
    // session's grant and the auth server then fails to record the consent (unique tenant_id, grant_id).
    const browsers = new Map<string, CookieJar>();
    const browserFor = (resource: string) => {
      let jar = browsers.get(resource);
      if (!jar) browsers.set(resource, (jar = new CookieJar()));
      return jar;
    };
    const userClientId = String(userClient['client_id']);
    return {
      tenant,
      databaseUrl,
      redisUrl,
      masterKey,
      authUrl,
      gatewayUrl,
      sessionStoreUrl,
      auth,
      sessionStore,
      gateway,
      async redisCpuMicros() {
        const info = await redis.info('cpu');
        const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
        return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6);
      },
      serviceClient: { clientId: String(service['client_id']), clientSecret: String(service['client_secret']) },
      userClientId,
      admin,
      async userTokens(resource) {
        const json = await authorizeUser({ authUrl, tenant, clientId: userClientId, redirectUri: REDIRECT_URI, resource, scope: 'mcp', user: USER, jar: browserFor(resource) }).catch(
          (error: unknown) => {
            throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- auth server output:\n${auth.output()}`);
          },
        );
        if (typeof json['access_token'] !== 'string' || typeof json['refresh_token'] !== 'string') throw new Error(`no access and refresh token: ${Object.keys(json).join(', ')}`);
        return { accessToken: json['access_token'], refreshToken: json['refresh_token'] };
      },
      serverResource: (name) => serverMcpUrl(gatewayUrl, tenant, name),
      async startGatewayReplica({ h2c, env: extra = {}, entry, name }) {
        const port = await freePort();
        // Same public URL (the resource tokens name) as the first replica, its own port.
        const replica = await startServiceProcess({
          name: name ?? `mcp-gateway${h2c ? ' (h2c)' : ''}`,
          entry: entry ?? entries.gateway,
          env: env({ GATEWAY_PORT: String(port), ...(h2c ? { HTTP2_CLEARTEXT: 'true' } : {}), ...extra }),
          url: `http://127.0.0.1:${port}`,
          h2c,
        });
        processes.push(replica);
        process.stderr.write(`bench: ${replica.name} pid ${replica.pid}\n`);
        return replica;
      },
      close: cleanup,
    };
  } catch (error) {
    const outputs = processes.map((child) => `--- ${child.name}\n${child.output()}`).join('\n');
    await cleanup();
    if (outputs) process.stderr.write(`${outputs}\n`);
    throw error;
  }
}

/** `url` on a logical database (1-15) that no connected client has selected, or `url` as given when it names one. */
async function unusedRedisDatabase(redis: Redis, url: string): Promise<string> {
  const parsed = new URL(url);
  if (parsed.pathname.length > 1) return url;
  const inUse = new Set([...String(await redis.client('LIST')).matchAll(/ db=(\d+)/g)].map((match) => Number(match[1])));
  const free = Array.from({ length: 15 }, (_, index) => index + 1).filter((db) => !inUse.has(db));
  if (free.length === 0) return url;
  parsed.pathname = `/${free[Math.floor(Math.random() * free.length)]}`;
  return parsed.href;
}
