import { randomBytes } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { authServerConfigSchema, type AuthServerConfig } from '@airlock/config';
import type { QueueBackend } from '@airlock/queue';
import type { HotStore } from '@airlock/redis';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues, freePort, type TestDatabase } from '@airlock/testing';
import type { Infra } from '@airlock/platform';
import { startAuthServer, type AuthServerApp } from '../../src/index.js';
import type { TenantRecord } from '../../src/tenants/tenant-record.js';
import { TenantRepository } from '../../src/tenants/tenant.repository.js';
import { PasswordHasher } from '../../src/users/password-hasher.js';

export interface AuthServerHarness {
  url: string;
  config: AuthServerConfig;
  infra: Infra;
  db: TestDatabase;
  hot: HotStore;
  queues: QueueBackend;
  app: AuthServerApp;
  /** Creates a tenant row (no admin API needed); returns its id. */
  createTenant(slug: string, registrationPolicy?: 'open' | 'initial_access_token' | 'off'): Promise<string>;
  /** The tenant as the auth server sees it. */
  tenant(slug: string): Promise<TenantRecord>;
  /** A local user with an argon2id password in the tenant; returns the user id. */
  createUser(slug: string, email: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Start on this database instead of a fresh one (a restart); the caller closes it. */
  db?: TestDatabase;
  masterKey?: Buffer;
  /** Pretend the database is embedded (generated admin client and demo user, as `npm start` does). */
  embeddedDatabase?: boolean;
  /** More Nest modules in the app (a stand-in broker, for example). */
  modules?: Array<Type<unknown>>;
}

/** The auth server's config for a test: URLs nobody listens on for the other services, unless `env` says otherwise. */
export function testAuthConfig(env: Record<string, string> = {}): AuthServerConfig {
  // As in loadConfig, an empty value means unset (so a test can drop one of these defaults).
  return authServerConfigSchema.parse(
    Object.fromEntries(
      Object.entries({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        AUTH_PUBLIC_URL: 'http://127.0.0.1:9',
        GATEWAY_PUBLIC_URL: 'http://127.0.0.1:1',
        SESSION_STORE_URL: 'http://127.0.0.1:2',
        AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: 'test-admin',
        AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: 'test-admin-secret-0123456789abcdef',
        ...env,
      }).filter(([, value]) => value !== ''),
    ),
  );
}

/** Infra over a test database, hot store and queues (real Postgres/Redis when DATABASE_URL/REDIS_URL are set). */
export function testInfra(db: TestDatabase, hot: HotStore, queues: QueueBackend, options: { masterKey?: Buffer; embeddedDatabase?: boolean } = {}): Infra {
  const redis = Boolean(process.env['REDIS_URL']);
  return {
    databaseUrl: db.url,
    pg: db.pg,
    hot,
    queues,
    masterKey: options.masterKey ?? randomBytes(32),
    readiness: [],
    embedded: { database: options.embeddedDatabase ?? !process.env['DATABASE_URL'], hotStore: !redis, queues: !redis },
    close: async () => undefined,
  };
}

/**
 * A real auth server on a real port, started as `npm start` starts it: a freshly migrated database (real
 * Postgres when DATABASE_URL is set, PGlite otherwise), Redis under a key prefix of its own when REDIS_URL
 * is set (memory otherwise).
 */
export async function startAuthServerHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<AuthServerHarness> {
  const ownDb = !options.db;
  const db = options.db ?? (await createTestDatabase());
  const hot = createTestHotStore();
  const queues = createTestQueues();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = testAuthConfig({ AUTH_PORT: String(port), AUTH_PUBLIC_URL: url, ...env });
  const infra = testInfra(db, hot, queues, options);
  const app = await startAuthServer({ config, infra, logger: createTestLogger(), ...(options.modules ? { extraModules: options.modules } : {}) });
  const tenants = new TenantRepository(db.pg, config.publicUrl);
  return {
    url,
    config,
    infra,
    db,
    hot,
    queues,
    app,
    createTenant: async (slug, registrationPolicy = 'open') => {
      const { rows } = await db.pg.query<{ id: string }>(
        'INSERT INTO tenants (id, slug, display_name, registration_policy, updated_at) VALUES (gen_random_uuid(), $1, $2, $3, now()) RETURNING id',
        [slug, `Tenant ${slug}`, registrationPolicy],
      );
      return rows[0]!.id;
    },
    tenant: async (slug) => {
      const tenant = await tenants.findBySlug(slug);
      if (!tenant) throw new Error(`no tenant ${slug}`);
      return tenant;
    },
    createUser: async (slug, email, password) => {
      const passwordHash = await new PasswordHasher().hash(password);
      const { rows } = await db.pg.query<{ id: string }>(
        `INSERT INTO users (id, tenant_id, email, password_hash, created_at, updated_at)
         SELECT gen_random_uuid(), id, $2, $3, now(), now() FROM tenants WHERE slug = $1 RETURNING id`,
        [slug, email.toLowerCase(), passwordHash],
      );
      if (!rows[0]) throw new Error(`no tenant ${slug}`);
      return rows[0].id;
    },
    close: async () => {
      await app.close();
      await queues.close();
      await hot.close();
      if (ownDb) await db.close();
    },
  };
}

/** Form-encoded POST with optional basic auth; returns status and parsed JSON. */
export async function postForm(url: string, form: Record<string, string>, basic?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: response.status, json, headers: response.headers };
}
