import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestHotStore, type TestDatabase, type TestHotStore } from '@airlock/testing';
import { TenantDirectory, UnknownTenantError } from '../src/index.js';

// The one slug -> tenant lookup of the three apps, on a real Postgres and the test hot store (Redis when
// REDIS_URL is set): two directories on two hot-store connections stand for two replicas.
describe('TenantDirectory', () => {
  let db: TestDatabase;
  let hot: TestHotStore;
  const directories: TenantDirectory[] = [];

  const insert = async (slug: string, settings: Record<string, unknown> = {}) => {
    const id = randomUUID();
    await db.pg.query(`INSERT INTO tenants (id, slug, display_name, settings, updated_at) VALUES ($1, $2, $2, $3, now())`, [id, slug, JSON.stringify(settings)]);
    return id;
  };
  const replica = async () => {
    const directory = new TenantDirectory(db.pg, { hot: hot.peer(), cacheMs: 60_000 });
    await directory.start();
    directories.push(directory);
    return directory;
  };
  const eventually = async (check: () => Promise<void>) => {
    for (let i = 0; ; i++) {
      try {
        return await check();
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    hot = createTestHotStore();
  }, 60_000);
  afterAll(async () => {
    for (const directory of directories) await directory.close();
    await hot?.close();
    await db?.close();
  });

  it('reads a tenant row with its settings once, then from the cache', async () => {
    const slug = `dir-${randomUUID().slice(0, 8)}`;
    const id = await insert(slug, { allowedOrigins: ['https://app.example'] });
    const directory = await replica();
    expect(await directory.find(slug)).toMatchObject({ id, slug, displayName: slug, registrationPolicy: 'open', accessTokenTtl: 600, settings: { allowedOrigins: ['https://app.example'] } });
    await db.pg.query('UPDATE tenants SET display_name = $2 WHERE slug = $1', [slug, 'Renamed']);
    expect((await directory.find(slug))?.displayName).toBe(slug);
    expect((await directory.findFresh(slug))?.displayName).toBe('Renamed');
  });

  it('a tenant deleted and created again under its slug is seen by every replica once one says it changed', async () => {
    const slug = `dir-${randomUUID().slice(0, 8)}`;
    const first = await insert(slug);
    const [a, b] = [await replica(), await replica()];
    expect(await a.idOf(slug)).toBe(first);
    expect(await b.idOf(slug)).toBe(first);
    const dropped: string[] = [];
    b.onChange((changed) => dropped.push(changed));

    await db.pg.query('DELETE FROM tenants WHERE slug = $1', [slug]);
    const second = await insert(slug);
    expect(await b.idOf(slug)).toBe(first); // cached until told
    await a.changed(slug);
    await eventually(async () => expect(await b.idOf(slug)).toBe(second));
    expect(dropped).toContain(slug);
  });

  it('caches misses too (bounded), and forgets them on a change', async () => {
    const slug = `dir-${randomUUID().slice(0, 8)}`;
    const directory = new TenantDirectory(db.pg, { cacheMs: 60_000, maxEntries: 2 });
    await expect(directory.idOf(slug)).rejects.toBeInstanceOf(UnknownTenantError);
    const id = await insert(slug);
    expect(await directory.find(slug)).toBeUndefined();
    directory.forget(slug);
    expect(await directory.idOf(slug)).toBe(id);
  });
});
