import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { inject } from 'vitest';
import { createPgPool, createPrismaClient, startEmbeddedPostgres } from '@airlock/db';
import type { PrismaClient } from '@airlock/db';
import { testEnv } from './test-env.js';
import { databaseUrlFor, ensureEmbeddedDump, ensureTemplateDatabase, quoteIdent, readEmbeddedDump, testDatabasePrefix, withAdminClient } from './template-database.js';

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  pg: Pool;
  close(): Promise<void>;
}

declare module 'vitest' {
  interface ProvidedContext {
    airlockTestRunId: string;
  }
}

function runId(): string {
  try {
    return inject('airlockTestRunId');
  } catch {
    return 'adhoc';
  }
}

// Per process: the template (or dump) is checked once, then every call only clones.
let template: Promise<string> | undefined;
let dump: Promise<Blob> | undefined;

/**
 * A freshly migrated database of its own. With DATABASE_URL: a clone of the migrated template
 * (`CREATE DATABASE ... TEMPLATE`, dropped on close). Without: an in-memory PGlite loaded from a
 * migrated dump. Either way `prisma` and `pg` are connected to it; close() releases everything.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = testEnv.databaseUrl;
  if (serverUrl) return cloneTemplate(serverUrl);
  dump ??= ensureEmbeddedDump().then(readEmbeddedDump);
  const embedded = await startEmbeddedPostgres({ fromDump: await dump });
  return connect(embedded.url, () => embedded.close());
}

async function cloneTemplate(serverUrl: string): Promise<TestDatabase> {
  template ??= ensureTemplateDatabase(serverUrl);
  const source = await template;
  const name = `${testDatabasePrefix(runId())}${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(source)}`));
  return connect(databaseUrlFor(serverUrl, name), () =>
    withAdminClient(serverUrl, async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`))),
  );
}

function connect(url: string, release: () => Promise<void>): TestDatabase {
  // Small pools: CI has two cores shared by every test file.
  const prisma = createPrismaClient(url, { max: 4 });
  const pg = createPgPool(url, { max: 4 });
  let closed: Promise<void> | undefined;
  return {
    url,
    prisma,
    pg,
    close: () =>
      (closed ??= (async () => {
        await Promise.allSettled([prisma.$disconnect(), pg.end()]);
        await release();
      })()),
  };
}
