import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { sessionStoreConfigSchema } from '@airlock/config';
import { issuerUrl, sessionStoreAudience } from '@airlock/contracts';
import { createPgPool } from '@airlock/db';
import type { QueueBackend } from '@airlock/queue';
import type { HotStore } from '@airlock/redis';
import { createTestDatabase, createTestLogger, TcpProxy } from '@airlock/testing';
import type { TestDatabase, TestLogger } from '@airlock/testing';
import { startTestIssuer } from '@airlock/token-verifier/testing';
import type { TestIssuer } from '@airlock/token-verifier/testing';
import { startSessionStore } from '../../src/index.js';
import type { SessionStoreTuning, StartedSessionStore } from '../../src/index.js';
import { createTestBackends } from './test-backends.js';
import type { TestBackends } from './test-backends.js';

export const SESSION_STORE_URL = 'http://sessions.airlock.test';
export const AUDIENCE = sessionStoreAudience(SESSION_STORE_URL);

export interface Harness {
  issuer: TestIssuer;
  db: TestDatabase;
  /** The store's own pool (through `pgProxy` when asked for). */
  storePg: Pool;
  pgProxy: TcpProxy | undefined;
  backends: TestBackends;
  hot: HotStore;
  queues: QueueBackend;
  store: StartedSessionStore;
  logger: TestLogger;
  tenantIds: Map<string, string>;
  token(tenant: string, scope: string, options?: { clientId?: string; audience?: string }): Promise<string>;
  api(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** Applies batched touches and runs every queued job. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  json<T = Record<string, unknown>>(): T;
}

export interface HarnessOptions {
  tenants?: string[];
  tuning?: SessionStoreTuning;
  /** Put a TCP proxy between the store and Postgres, so a test can cut Postgres off. */
  proxyPostgres?: boolean;
  redisUrl?: string;
  /**
   * AUTH_PUBLIC_URL when it is not where the test issuer runs (tokens name it; the store must reach the
   * issuer's keys through AUTH_INTERNAL_URL, which is then the test issuer).
   */
  authPublicUrl?: string;
  /** More config (env keys), e.g. the session limits. */
  env?: Record<string, string>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tenants = options.tenants ?? ['acme', 'globex'];
  const issuer = await startTestIssuer();
  for (const tenant of tenants) await issuer.addKey(tenant);
  const db = await createTestDatabase();
  const tenantIds = new Map<string, string>();
  for (const slug of tenants) {
    const id = randomUUID();
    await db.pg.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, $2, $3, now())`, [id, slug, slug]);
    tenantIds.set(slug, id);
  }
  let pgProxy: TcpProxy | undefined;
  let storeDbUrl = db.url;
  if (options.proxyPostgres) {
    const target = new URL(db.url);
    pgProxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await pgProxy.start();
    target.host = `127.0.0.1:${pgProxy.port}`;
    storeDbUrl = target.toString();
  }
  const storePg = createPgPool(storeDbUrl, { max: 4 });
  // A dropped proxy connection surfaces as an idle-client error; the pool replaces the client.
  storePg.on('error', () => undefined);
  const backends = createTestBackends({ redisUrl: options.redisUrl });
  const hot = backends.hot();
  const logger = createTestLogger({ name: 'session-store-test', level: 'warn' });
  const auth = options.authPublicUrl ? { AUTH_PUBLIC_URL: options.authPublicUrl, AUTH_INTERNAL_URL: issuer.baseUrl } : { AUTH_PUBLIC_URL: issuer.baseUrl };
  const config = sessionStoreConfigSchema.parse({ SESSION_STORE_PORT: '0', SESSION_STORE_URL, ...auth, LOG_LEVEL: 'warn', ...options.env });
  const store = await startSessionStore({
    config,
    infra: {
      pg: storePg,
      hot,
      queues: backends.queues,
      readiness: [
        { name: 'postgres', check: async () => void (await storePg.query('SELECT 1')) },
        { name: 'redis', check: () => hot.ping() },
      ],
    },
    logger,
    tuning: { touchFlushMs: 100, lastSeenFlushMs: 200, expirySweepEveryMs: 3_600_000, ...options.tuning },
  });

  const api: Harness['api'] = async (method, path, request = {}) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${store.url}${path}`, { method, headers, ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}) });
    const text = await response.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, body, json: <T>() => body as T };
  };

  return {
    issuer,
    db,
    storePg,
    pgProxy,
    backends,
    hot,
    queues: backends.queues,
    store,
    logger,
    tenantIds,
    token: (tenant, scope, tokenOptions = {}) =>
      issuer.mint(tenant, {
        audience: tokenOptions.audience ?? AUDIENCE,
        scope,
        clientId: tokenOptions.clientId ?? 'airlock-gateway',
        subject: tokenOptions.clientId ?? 'airlock-gateway',
        ...(options.authPublicUrl ? { issuer: issuerUrl(options.authPublicUrl, tenant) } : {}),
      }),
    api,
    async settle() {
      await store.touches.flush();
      await backends.queues.drain('sessions', 20_000);
      await backends.queues.drain('audit', 20_000);
    },
    async close() {
      await store.close();
      await backends.close();
      await storePg.end().catch(() => undefined);
      await pgProxy?.stop();
      await db.close();
      await issuer.close();
    },
  };
}

/** Polls until `check` stops throwing (or `timeoutMs` passes, then rethrows its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
