import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '@airlock/db';
import { createTestLogger, freePort } from '@airlock/testing';
import { createInfra, plainStartupFailure } from '../src/index.js';

describe('the platform on a database that cannot be reached', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-db-unreachable-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const runtime = (databaseUrl: string) => ({ env: 'development' as const, logLevel: 'info' as const, dataDir, databaseUrl, redisUrl: undefined, masterKey: undefined });

  it('fails the start (migrations first) with one line naming host:port/db and no credentials', async () => {
    const port = await freePort();
    const logger = createTestLogger({ level: 'info' });
    const error: unknown = await createInfra({ runtime: runtime(`postgresql://owner:pa55word@127.0.0.1:${port}/airlock`), logger, migrate: true }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    const line = plainStartupFailure(error);
    expect(line).toBe(`database unavailable: PostgreSQL at 127.0.0.1:${port}/airlock is not reachable (ECONNREFUSED)`);
    expect(line).not.toContain('pa55word');
  });

  it('a service started without migrations reports the database by name when its readiness check fails', async () => {
    const port = await freePort();
    const logger = createTestLogger({ level: 'info' });
    const infra = await createInfra({ runtime: runtime(`postgresql://owner:pa55word@127.0.0.1:${port}/airlock`), logger });
    try {
      const postgres = infra.readiness.find((check) => check.name === 'postgres');
      const error: unknown = await postgres?.check().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}/airlock`);
      expect((error as Error).message).not.toContain('pa55word');
    } finally {
      await infra.close();
    }
  });
});
