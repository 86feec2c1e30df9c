import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defaultMigrationsDir, migrate, migrationsFingerprint, readMigrationFiles, startEmbeddedPostgres } from '@airlock/db';

// Serialises template builds across concurrent test runs on one server (other engineers, CI).
const TEMPLATE_LOCK = 720_707_370;

/** 16 hex digits that change whenever any migration changes: a new template per migration state. */
export function migrationsKey(): string {
  return migrationsFingerprint(readMigrationFiles(defaultMigrationsDir)).slice(0, 16);
}

/** Every database a run creates starts with this, so the run's teardown can drop what a crash left. */
export const testDatabasePrefix = (runId: string) => `airlock_test_${runId}_`;

export const templateDatabaseName = (key: string) => `airlock_tpl_${key}`;

export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A connection for CREATE/DROP DATABASE: to DATABASE_URL's database, or `postgres` when that one does not exist yet. */
export async function withAdminClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  let client = new pg.Client({ connectionString: serverUrl, application_name: 'airlock-testing' });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
    client = new pg.Client({ connectionString: databaseUrlFor(serverUrl, 'postgres'), application_name: 'airlock-testing' });
    await client.connect();
  }
  client.on('error', () => undefined); // reported by the pending query; never crash the test process
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Makes sure a migrated template for the current migrations exists on the server and returns its name.
 * Built under a temporary name and renamed when complete, so a crashed build never leaves a
 * half-migrated template behind; nobody may connect to it afterwards, which keeps it clonable.
 */
export async function ensureTemplateDatabase(serverUrl: string): Promise<string> {
  const name = templateDatabaseName(migrationsKey());
  return withAdminClient(serverUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount) return name;
      const building = `${name}_build_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${quoteIdent(building)}`);
      try {
        await migrate({ databaseUrl: databaseUrlFor(serverUrl, building) });
        await admin.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(name)}`);
      } catch (error) {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
        throw error;
      }
      await admin.query(`ALTER DATABASE ${quoteIdent(name)} ALLOW_CONNECTIONS false`);
      return name;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
}

/** Where the migrated embedded database's dump lives; keyed like the template. */
export const embeddedDumpPath = (key: string) => join(tmpdir(), `airlock-test-pglite-${pgliteVersion()}-${key}.tar`);

// A dump only loads into the PGlite version that wrote it.
function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A dump of a freshly migrated in-memory PGlite, made once and reused: loading it takes ~0.4 s where
 * initdb plus migrations takes ~2-3 s.
 */
export async function ensureEmbeddedDump(): Promise<string> {
  const path = embeddedDumpPath(migrationsKey());
  if (existsSync(path)) return path;
  const embedded = await startEmbeddedPostgres({});
  try {
    await migrate({ databaseUrl: embedded.url });
    const dump = Buffer.from(await (await embedded.dumpDataDir()).arrayBuffer());
    // Written aside then renamed: a concurrent run never reads half a file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, dump);
    renameSync(partial, path);
    return path;
  } finally {
    await embedded.close();
  }
}

export const readEmbeddedDump = (path: string) => new Blob([readFileSync(path)]);
