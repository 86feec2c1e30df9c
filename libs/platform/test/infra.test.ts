import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, sessionStoreConfigSchema } from '@airlock/config';
import { createPgPool } from '@airlock/db';
import { createTestLogger } from '@airlock/testing';
import { createInfra } from '../src/index.js';

// Runs on what the test run points at: the real Postgres/Redis when DATABASE_URL/REDIS_URL are set (in a
// database of its own), the embedded stand-ins otherwise.
const env = loadConfig(sessionStoreConfigSchema);

describe('createInfra', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-infra-'));
  let databaseUrl: string | undefined;
  let adminUrl: string | undefined;
  const dbName = `airlock_infra_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    if (env.databaseUrl) {
      // The maintenance database: DATABASE_URL's own database may not exist yet.
      const maintenance = new URL(env.databaseUrl);
      maintenance.pathname = '/postgres';
      adminUrl = maintenance.toString();
      const admin = createPgPool(adminUrl, { max: 1 });
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.end();
      const url = new URL(env.databaseUrl);
      url.pathname = `/${dbName}`;
      databaseUrl = url.toString();
    }
  });

  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (adminUrl) {
      const admin = createPgPool(adminUrl, { max: 1 });
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });

  const runtime = () => ({ env: 'development' as const, logLevel: 'info' as const, dataDir, databaseUrl, redisUrl: env.redisUrl, masterKey: undefined });

  it('migrates, answers readiness, closes idempotently, and a second start reuses the data', async () => {
    const logger = createTestLogger({ level: 'info' });
    const first = await createInfra({ runtime: runtime(), logger, migrate: true });
    let masterKey: Buffer;
    try {
      expect(first.embedded).toEqual({ database: !env.databaseUrl, hotStore: !env.redisUrl, queues: !env.redisUrl });
      for (const check of first.readiness) await check.check();
      expect(first.readiness.map((c) => c.name)).toEqual(['postgres', env.redisUrl ? 'redis' : 'hot-store', 'queues']);
      const { rows } = await first.pg.query<{ n: string }>('SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
      await first.pg.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES (gen_random_uuid(), 'infra-test', 'Infra test', now())`);
      masterKey = first.masterKey;
      expect(masterKey).toHaveLength(32);
    } finally {
      await first.close();
      await first.close();
    }
    if (!env.databaseUrl) expect(existsSync(join(dataDir, 'pg'))).toBe(true);

    const second = await createInfra({ runtime: runtime(), logger, migrate: true });
    try {
      expect(second.masterKey.equals(masterKey)).toBe(true);
      const { rows: tenants } = await second.pg.query<{ display_name: string }>(`SELECT display_name FROM tenants WHERE slug = 'infra-test'`);
      expect(tenants[0]?.display_name).toBe('Infra test');
      expect(logger.records.filter((r) => r.msg === 'database migrations applied')).toHaveLength(1);
    } finally {
      await second.close();
    }
  }, 120_000);
});
