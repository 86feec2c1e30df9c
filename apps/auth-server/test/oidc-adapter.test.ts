import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from 'oidc-provider';
import { createMemoryHotStore, createRedisHotStore, type HotStore } from '@airlock/redis';
import { createTestDatabase, type TestDatabase } from '@airlock/testing';
import { ClientStore } from '../src/adapter/client-store.js';
import { ArtifactAlreadyConsumedError } from '../src/adapter/artifact-errors.js';
import { createOidcAdapterFactory } from '../src/adapter/oidc-adapter.js';
import { ClientMetadataError, ClientMetadataResolver } from '../src/client-metadata/client-metadata-resolver.js';
import type { TenantRecord } from '../src/tenants/tenant-record.js';

class RefusingResolver extends ClientMetadataResolver {
  async resolve(): Promise<Record<string, unknown>> {
    throw new ClientMetadataError('invalid_client', 'refused by test');
  }
}

let db: TestDatabase;
let hot: HotStore;
let tenant: TenantRecord;
let adapterFor: (model: string) => Adapter;

beforeAll(async () => {
  db = await createTestDatabase();
  const redisUrl = process.env['REDIS_URL'];
  hot = redisUrl ? createRedisHotStore({ url: redisUrl, keyPrefix: `test-auth-adapter-${randomBytes(4).toString('hex')}:` }) : createMemoryHotStore();
  const id = randomUUID();
  await db.pg.query("INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, 'acme', 'Acme', now())", [id]);
  tenant = { id, slug: 'acme', displayName: 'Acme', registrationPolicy: 'open', accessTokenTtl: 600, issuer: 'http://localhost/t/acme' };
  adapterFor = createOidcAdapterFactory({ tenant, pg: db.pg, hot, clients: new ClientStore(db.pg, randomBytes(32)), clientMetadata: new RefusingResolver() });
});
afterAll(async () => {
  await hot?.close();
  await db?.close();
});

// Same contract as oidc-provider's memory adapter, for a hot model and a durable one.
describe.each(['AuthorizationCode', 'RefreshToken'])('adapter contract for %s', (model) => {
  it('upserts, finds, consumes (payload keeps `consumed`), destroys', async () => {
    const adapter = adapterFor(model);
    const id = randomUUID();
    await adapter.upsert(id, { jti: id, grantId: 'g1', kind: model } as never, 60);
    expect(await adapter.find(id)).toMatchObject({ jti: id, grantId: 'g1' });
    expect((await adapter.find(id))?.consumed).toBeUndefined();
    await adapter.consume(id);
    expect(typeof (await adapter.find(id))?.consumed).toBe('number');
    await adapter.destroy(id);
    expect(await adapter.find(id)).toBeUndefined();
  });

  it('lets exactly one of twenty parallel consumers win', async () => {
    const adapter = adapterFor(model);
    const id = randomUUID();
    await adapter.upsert(id, { jti: id, grantId: 'g2' } as never, 60);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => adapter.consume(id)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(ArtifactAlreadyConsumedError);
      expect((result.reason as ArtifactAlreadyConsumedError).grantId).toBe('g2');
    }
  });

  it('revokes by grant id without touching other grants', async () => {
    const adapter = adapterFor(model);
    const [a, b] = [randomUUID(), randomUUID()];
    await adapter.upsert(a, { jti: a, grantId: 'revoke-me' } as never, 60);
    await adapter.upsert(b, { jti: b, grantId: 'keep-me' } as never, 60);
    await adapter.revokeByGrantId('revoke-me');
    expect(await adapter.find(a)).toBeUndefined();
    expect(await adapter.find(b)).toBeDefined();
  });

  it('does not return an expired artifact', async () => {
    const adapter = adapterFor(model);
    const id = randomUUID();
    await adapter.upsert(id, { jti: id } as never, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await adapter.find(id)).toBeUndefined();
  });
});

describe('consumption markers in the hot store', () => {
  it('outlive revocation, so a redemption that saw the code just before it was deleted cannot win again', async () => {
    const adapter = adapterFor('AuthorizationCode');
    const id = randomUUID();
    await adapter.upsert(id, { jti: id, grantId: 'raced' } as never, 60);
    await adapter.consume(id);
    // A replay elsewhere revokes the grant (oidc-provider deletes the grant's codes) ...
    await adapter.revokeByGrantId('raced');
    await adapter.destroy(id);
    // ... while a request that already read the code's TTL goes on to claim it: it must lose.
    expect(await hot.set(`oidc:acme:AuthorizationCode:${id}:consumed`, 'late', { onlyIfAbsent: true, ttlMs: 60_000 })).toBe(false);
    await expect(adapter.consume(id)).rejects.toBeInstanceOf(ArtifactAlreadyConsumedError);
  });
});

describe('Session lookups', () => {
  it('finds a session by uid', async () => {
    const adapter = adapterFor('Session');
    await adapter.upsert('s1', { uid: 'u1', accountId: 'x' } as never, 60);
    expect(await adapter.findByUid('u1')).toMatchObject({ accountId: 'x' });
    await adapter.destroy('s1');
    expect(await adapter.findByUid('u1')).toBeUndefined();
  });
});

describe('Client model', () => {
  it('stores dynamic registrations per tenant', async () => {
    const adapter = adapterFor('Client');
    await adapter.upsert('dyn_1', { client_id: 'dyn_1', redirect_uris: ['https://app.example/cb'] });
    expect(await adapter.find('dyn_1')).toMatchObject({ client_id: 'dyn_1' });
    await adapter.destroy('dyn_1');
    expect(await adapter.find('dyn_1')).toBeUndefined();
  });

  it('turns a refused metadata document into invalid_client', async () => {
    await expect(adapterFor('Client').find('https://client.example/meta.json')).rejects.toMatchObject({ error: 'invalid_client' });
  });
});
