import { randomBytes } from 'node:crypto';
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

/** A database with nothing in it: a new database on the real server, or a fresh in-memory PGlite. */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  if (!serverUrl) {
    // One initdb per file, then ~0.4 s loads of its dump.
    emptyDump ??= (async () => {
      const fresh = await startEmbeddedPostgres({});
      try {
        return await fresh.dumpDataDir();
      } finally {
        await fresh.close();
      }
    })();
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
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
