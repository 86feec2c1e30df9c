import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { z } from 'zod';
import { loadConfig, postgresUrl } from '@airlock/config';
import { startEmbeddedPostgres } from '../../src/index.js';

const { DATABASE_URL: serverUrl } = loadConfig(z.object({ DATABASE_URL: postgresUrl.optional() }));

export const mode = serverUrl ? 'real' : 'embedded';

export interface EmptyDatabase {
  url: string;
  close(): Promise<void>;
}

let emptyDump: Promise<Blob> | undefined;

/** A dump of a freshly initialised PGlite, shared by every test file and run: initdb costs 2-6 s, loading 0.4 s. */
export async function loadEmptyDump(): Promise<Blob> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  const path = join(tmpdir(), `airlock-test-pglite-${version}-empty.tar`);
  if (existsSync(path)) return new Blob([readFileSync(path)]);
  const fresh = await startEmbeddedPostgres({});
  try {
    const dump = await fresh.dumpDataDir();
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, path);
    return dump;
  } finally {
    await fresh.close();
  }
}

/** A database with nothing in it: a new database on the real server, or a fresh in-memory PGlite. */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  if (!serverUrl) {
    emptyDump ??= loadEmptyDump();
    return startEmbeddedPostgres({ fromDump: await emptyDump });
  }
  // Named with the run's prefix so the global teardown drops it if this file crashes.
  const name = `airlock_test_${inject('airlockTestRunId')}_empty_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), close: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function admin(sql: string): Promise<void> {
  // The maintenance database: DATABASE_URL's own may not exist yet on a developer's machine.
  const url = new URL(serverUrl ?? '');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs one query on its own connection. */
export async function queryOnce<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
