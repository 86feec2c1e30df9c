import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queues } from '@airlock/contracts';
import { closeHttpApp, createHttpApp } from '@airlock/http-server';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues, type TestDatabase } from '@airlock/testing';
import type { HotStore } from '@airlock/redis';
import type { QueueBackend } from '@airlock/queue';
import { AuthJobs } from '../src/adapter/artifact-sweep.service.js';
import { createAppModule } from '../src/app.module.js';
import { BootstrapService } from '../src/bootstrap/bootstrap.service.js';
import { OidcProviderRegistry } from '../src/oidc/tenant-providers.service.js';
import { SigningKeyRepository } from '../src/keys/signing-key.repository.js';
import { testAuthConfig, testInfra } from './support/auth-server-harness.js';

// Housekeeping: the scheduled sweep of what has outlived its use, and the bounded provider cache.

let db: TestDatabase;
let hot: HotStore;
let queues: QueueBackend;
let app: NestFastifyApplication;
let registry: OidcProviderRegistry;
let signingKeys: SigningKeyRepository;
let demoId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  hot = createTestHotStore();
  queues = createTestQueues();
  const config = testAuthConfig({ AUTH_MAX_TENANT_PROVIDERS: '3' });
  const logger = createTestLogger();
  const infra = testInfra(db, hot, queues, { embeddedDatabase: false });
  app = await createHttpApp(createAppModule({ config, infra, logger }), { name: 'auth-server', http: config.http, logger, readiness: [] });
  await app.init();
  await app.get(BootstrapService).run();
  registry = app.get(OidcProviderRegistry);
  signingKeys = app.get(SigningKeyRepository);
  const { rows } = await db.pg.query<{ id: string }>("SELECT id FROM tenants WHERE slug = 'demo'");
  demoId = rows[0]!.id;
});
afterAll(async () => {
  if (app) await closeHttpApp(app);
  await queues?.close();
  await hot?.close();
  await db?.close();
});

describe('the housekeeping sweep (a scheduled job on Queues.auth)', () => {
  it('deletes expired artifacts (after a grace hour), spent revoked-grant records and unpublished keys, nothing else', async () => {
    await db.pg.query(
      `INSERT INTO oidc_artifacts (tenant_id, model, id, payload, expires_at) VALUES
        ($1, 'RefreshToken', 'old', '{}', now() - interval '2 hours'),
        ($1, 'RefreshToken', 'recent', '{}', now() - interval '10 minutes'),
        ($1, 'Grant', 'live', '{}', now() + interval '1 day'),
        ($1, 'RegistrationAccessToken', 'forever', '{}', NULL)`,
      [demoId],
    );
    await db.pg.query(
      `INSERT INTO revoked_grants (tenant_id, grant_id, reason, not_after) VALUES ($1, 'spent', 'user_revoked', now() - interval '1 minute'), ($1, 'fresh', 'user_revoked', now() + interval '10 minutes')`,
      [demoId],
    );
    // Two rotations: the first retired keys are past their publication window, the second's are not.
    const activeKids = async () => (await signingKeys.list(demoId)).filter((key) => key.state === 'active').map((key) => key.kid);
    const expired = await activeKids();
    await signingKeys.rotate(demoId, -60);
    const published = await activeKids();
    await signingKeys.rotate(demoId, 3600);
    // Through the queue, as the schedule runs it.
    await queues.enqueue(Queues.auth, AuthJobs.sweep, {}, { jobId: 'sweep-now' });
    await queues.drain(Queues.auth);

    const artifacts = await db.pg.query<{ id: string }>('SELECT id FROM oidc_artifacts WHERE tenant_id = $1 ORDER BY id', [demoId]);
    expect(artifacts.rows.map((row) => row.id)).toEqual(['forever', 'live', 'recent']);
    const grants = await db.pg.query<{ grant_id: string }>('SELECT grant_id FROM revoked_grants');
    expect(grants.rows.map((row) => row.grant_id)).toEqual(['fresh']);
    const keys = await db.pg.query<{ kid: string }>("SELECT kid FROM signing_keys WHERE state = 'retired' ORDER BY kid");
    expect(keys.rows.map((row) => row.kid)).toEqual([...published].sort());
    expect(expired.some((kid) => published.includes(kid))).toBe(false);
    // The active and next keys are untouched: the tenant still builds and signs.
    expect(await registry.forTenant('demo')).toBeDefined();
  });
});

describe('the provider cache', () => {
  it('holds at most AUTH_MAX_TENANT_PROVIDERS tenants, and a rebuild reads keys rotated in the meantime', async () => {
    expect(registry.capacity).toBe(3);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { rows } = await db.pg.query<{ id: string }>(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES (gen_random_uuid(), $1, $1, now()) RETURNING id`, [`cap-${i}`]);
      ids.push(rows[0]!.id);
    }
    const first = await registry.forTenant('cap-0');
    for (let i = 1; i < 6; i++) {
      await registry.forTenant(`cap-${i}`);
      expect(registry.cachedTenants().length).toBeLessThanOrEqual(3);
    }
    expect(registry.cachedTenants()).toEqual(['cap-3', 'cap-4', 'cap-5']);
    // Keys rotated while cap-0 was out of the cache (as another replica would): the rebuilt provider has them.
    await signingKeys.rotate(ids[0]!, 3600);
    const rebuilt = await registry.forTenant('cap-0');
    const active = (await signingKeys.list(ids[0]!)).filter((key) => key.state === 'active').map((key) => key.kid);
    expect(rebuilt?.signingJwks.slice(0, 2).map((key) => key.kid).sort()).toEqual(active.sort());
    expect(rebuilt?.signingJwks[0]?.kid).not.toBe(first?.signingJwks[0]?.kid);
    expect(registry.cachedTenants()).toEqual(['cap-4', 'cap-5', 'cap-0']);
  });

  it('keeps at most its capacity of tenants, least recently used out first, and rebuilds an evicted one', async () => {
    registry.setCapacity(2);
    for (let i = 0; i < 5; i++) await db.pg.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES (gen_random_uuid(), $1, $1, now())`, [`lru-${i}`]);
    const first = await registry.forTenant('lru-0');
    for (let i = 1; i < 5; i++) expect((await registry.forTenant(`lru-${i}`))?.tenant.slug).toBe(`lru-${i}`);
    expect(registry.cachedTenants()).toEqual(['lru-3', 'lru-4']);
    const again = await registry.forTenant('lru-0');
    expect(again?.tenant.issuer).toBe('http://127.0.0.1:9/t/lru-0');
    expect(again?.provider).not.toBe(first?.provider);
    // The rebuilt provider signs with the same tenant keys (nothing was regenerated).
    expect(again?.publicJwks.keys.map((key) => key.kid)).toEqual(first?.publicJwks.keys.map((key) => key.kid));
    expect(registry.cachedTenants()).toEqual(['lru-4', 'lru-0']);
    // Unknown slugs are not kept as providers at all.
    for (let i = 0; i < 50; i++) expect(await registry.forTenant(`nope-${i}`)).toBeUndefined();
    expect(registry.cachedTenants().length).toBeLessThanOrEqual(2);
  });
});
