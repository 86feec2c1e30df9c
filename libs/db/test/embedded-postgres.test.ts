import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaClient, migrate, startEmbeddedPostgres } from '../src/index.js';
import { loadEmptyDump } from './support/databases.js';

const dataRoot = mkdtempSync(join(tmpdir(), 'airlock-embedded-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

describe('embedded PostgreSQL (PGlite behind pglite-socket)', () => {
  it('keeps its data in dataDir across restarts and refuses a second server on the same directory', async () => {
    const dataDir = join(dataRoot, 'pg');
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await migrate({ databaseUrl: first.url })).not.toEqual([]);
      const prisma = createPrismaClient(first.url, { max: 1 });
      await prisma.tenant.create({ data: { slug: 'kept', displayName: 'Kept' } });
      await prisma.$disconnect();
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(`the embedded database in ${dataDir} is in use by process ${process.pid}`);
    } finally {
      await first.close();
    }

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await migrate({ databaseUrl: second.url })).toEqual([]);
      const prisma = createPrismaClient(second.url, { max: 1 });
      expect(await prisma.tenant.findUnique({ where: { slug: 'kept' } })).toMatchObject({ displayName: 'Kept' });
      await prisma.$disconnect();
    } finally {
      await second.close();
    }
  }, 120_000); // two PGlite boots on disk, one of them an initdb: slow when CI's two cores are busy

  it("keeps one connection's transaction to itself although every connection shares PGlite's one session", async () => {
    const embedded = await startEmbeddedPostgres({ fromDump: await loadEmptyDump() });
    const pool = new pg.Pool({ connectionString: embedded.url, max: 4 });
    try {
      await pool.query('CREATE TABLE t (v int)');
      const a = await pool.connect();
      const b = await pool.connect();
      try {
        await a.query('BEGIN');
        await a.query('INSERT INTO t VALUES (1)');
        let bDone = false;
        const bWrite = b.query('INSERT INTO t VALUES (2)').then(() => (bDone = true));
        // B's statement waits for A's transaction instead of running inside it.
        await a.query('SELECT pg_sleep(0.05)');
        expect(bDone).toBe(false);
        await a.query('ROLLBACK');
        await bWrite;
        expect((await b.query('SELECT array_agg(v) AS vs FROM t')).rows).toEqual([{ vs: [2] }]);
      } finally {
        a.release();
        b.release();
      }

      // Extended-protocol queries from several connections at once never cross results.
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => pool.query<{ v: number; w: string }>('SELECT $1::int AS v, $2::text AS w', [i, `w${i}`])),
      );
      expect(results.map((r) => r.rows[0])).toEqual(Array.from({ length: 300 }, (_, i) => ({ v: i, w: `w${i}` })));
    } finally {
      await pool.end();
      await embedded.close();
    }
  });
});
