import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestLogger } from '../src/index.js';
import type { TestDatabase } from '../src/index.js';
import { testEnv } from '../src/test-env.js';

const opened: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
});

async function open(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  opened.push(db);
  return db;
}

describe(`createTestDatabase (${testEnv.databaseUrl ? 'template clone on real PostgreSQL' : 'embedded PGlite'})`, () => {
  it('gives each caller its own freshly migrated database, reachable through prisma, pg and url', async () => {
    const [one, two] = await Promise.all([open(), open()]);
    if (!one || !two) throw new Error('unreachable');
    expect(one.url).not.toEqual(two.url);

    await one.prisma.tenant.create({ data: { slug: 'only-in-one', displayName: 'One' } });
    expect(await two.prisma.tenant.count()).toBe(0);
    expect((await one.pg.query('SELECT slug FROM tenants')).rows).toEqual([{ slug: 'only-in-one' }]);
    const applied = await one.pg.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL');
    expect(applied.rowCount).toBeGreaterThan(0);

    const client = new pg.Client({ connectionString: two.url });
    await client.connect();
    expect((await client.query('SELECT count(*)::int AS n FROM tenants')).rows).toEqual([{ n: 0 }]);
    await client.end();
  });

  it('releases the database on close (dropped on the real server; the embedded server stops)', async () => {
    const db = await createTestDatabase();
    await db.close();
    await db.close(); // idempotent
    const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5_000 });
    await expect(client.connect()).rejects.toThrow(testEnv.databaseUrl ? /does not exist/ : /ECONNREFUSED|terminated|closed/);
    await client.end().catch(() => undefined);
  });
});

describe('createTestLogger', () => {
  it('keeps lines as records and redacts secrets like the real logger', () => {
    const logger = createTestLogger();
    logger.info({ user: 'ada', password: 'hunter2' }, 'signed in');
    logger.child({ requestId: 'r1' }).debug('detail');
    expect(logger.records).toHaveLength(2);
    expect(logger.records[0]).toMatchObject({ level: 'info', msg: 'signed in', user: 'ada' });
    expect(JSON.stringify(logger.records)).not.toContain('hunter2');
    expect(logger.records[1]).toMatchObject({ level: 'debug', requestId: 'r1', msg: 'detail' });
  });
});
