// vitest globalSetup: runs once per test run, before any test file. Builds the migrated template
// database (real Postgres) or the migrated PGlite dump (embedded) so test files only clone, and drops
// whatever databases this run's crashed files left behind.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { testEnv } from './test-env.js';
import { ensureEmbeddedDump, ensureTemplateDatabase, quoteIdent, testDatabasePrefix, withAdminClient } from './template-database.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  project.provide('airlockTestRunId', runId);
  const serverUrl = testEnv.databaseUrl;
  if (!serverUrl) {
    await ensureEmbeddedDump();
    return async () => undefined;
  }
  await ensureTemplateDatabase(serverUrl);
  return () =>
    withAdminClient(serverUrl, async (admin) => {
      const leftovers = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [testDatabasePrefix(runId)]);
      for (const { datname } of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    });
}
