import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { databaseUnavailable } from '../database-errors.js';
import { defaultMigrationsDir } from '../paths.js';
import { checksumMatches, readMigrationFiles } from './migration-files.js';
import type { MigrationFile } from './migration-files.js';

/** The subset of a pino logger the runner uses. */
export interface MigrationLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface MigrateOptions {
  databaseUrl: string;
  logger?: MigrationLogger;
  /** Defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
  /** How long to wait for another runner's lock before giving up (default 10 minutes). */
  lockTimeoutMs?: number;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

// The key Prisma's schema engine locks on (prisma-engines, postgres flavour): this runner and
// `prisma migrate deploy` exclude each other too.
const PRISMA_ADVISORY_LOCK = 72707369;
const LOCK_POLL_MS = 200;

// Prisma's own definition of its bookkeeping table on PostgreSQL, column for column.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending migrations without Prisma's schema engine: one at a time, each in its own
 * transaction, under Prisma's advisory lock, recording into `_prisma_migrations` exactly as
 * `prisma migrate deploy` does, so either tool can take over from the other. Refuses to run when an
 * applied migration was edited or a previous one failed half-way. Returns the names it applied.
 *
 * Migrations must be transaction-safe (no `CREATE INDEX CONCURRENTLY`, no `ALTER TYPE ... ADD VALUE`
 * used in the same file).
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const { databaseUrl, logger } = options;
  const migrations = readMigrationFiles(options.migrationsDir ?? defaultMigrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'airlock-migrate' });
  // A dropped connection also fails the pending query, which is what reports it; without a listener the
  // 'error' event would crash the process instead.
  client.on('error', () => undefined);
  await client.connect().catch((error: unknown) => {
    throw databaseUnavailable(databaseUrl, error);
  });
  try {
    await acquireLock(client, options.lockTimeoutMs ?? 600_000, logger);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const rows = (await client.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at')).rows;
      const pending = checkHistory(migrations, rows, logger);
      const applied: string[] = [];
      for (const migration of pending) {
        if (await applyOne(client, migration, logger)) applied.push(migration.name);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]);
    }
  } finally {
    await client.end();
  }
}

async function acquireLock(client: pg.Client, timeoutMs: number, logger?: MigrationLogger): Promise<void> {
  // Polling with try-lock rather than a blocking pg_advisory_lock: a timeout that needs no server-side
  // setting, and a log line telling the operator why this replica waits.
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRISMA_ADVISORY_LOCK]);
    if (rows[0]?.locked) return;
    if (Date.now() >= deadline) throw new MigrationError(`another migration run held the migration lock for more than ${timeoutMs} ms; gave up`);
    if (!told) logger?.info({ lock: PRISMA_ADVISORY_LOCK }, 'waiting for another migration run to finish');
    told = true;
    await new Promise((done) => setTimeout(done, LOCK_POLL_MS));
  }
}

/** Validates what the database says was applied against the files; returns what is pending. */
function checkHistory(migrations: MigrationFile[], rows: AppliedRow[], logger?: MigrationLogger): MigrationFile[] {
  const failed = rows.filter((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed.length > 0) {
    const names = failed.map((row) => row.migration_name).join(', ');
    throw new MigrationError(
      `migration ${names} started but never finished; inspect the database, then mark it with ` +
        '`prisma migrate resolve --rolled-back <name>` or `--applied <name>`',
    );
  }
  const done = new Map<string, string>();
  for (const row of rows) if (row.finished_at !== null && row.rolled_back_at === null) done.set(row.migration_name, row.checksum);

  const local = new Set(migrations.map((migration) => migration.name));
  const unknown = [...done.keys()].filter((name) => !local.has(name));
  if (unknown.length > 0) logger?.warn({ migrations: unknown }, 'the database has migrations this build does not know (a newer version applied them)');

  const edited = migrations.filter((migration) => done.has(migration.name) && !checksumMatches(migration.sql, done.get(migration.name) ?? ''));
  if (edited.length > 0) {
    throw new MigrationError(
      `applied migration ${edited.map((migration) => migration.name).join(', ')} was modified after it was applied ` +
        '(checksum mismatch); restore the original file and put the change in a new migration',
    );
  }
  return migrations.filter((migration) => !done.has(migration.name));
}

async function applyOne(client: pg.Client, migration: MigrationFile, logger?: MigrationLogger): Promise<boolean> {
  const started = performance.now();
  await client.query('BEGIN');
  try {
    // Checked again inside the transaction: on the embedded server every connection shares one
    // session, so the advisory lock does not keep a second runner out there.
    const already = await client.query(
      'SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL',
      [migration.name],
    );
    if (already.rowCount) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, clock_timestamp())', [
      randomUUID(),
      migration.checksum,
      migration.name,
    ]);
    await client.query(migration.sql);
    await client.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE migration_name = $1 AND finished_at IS NULL', [
      migration.name,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${migration.name} failed and was rolled back: ${reason}`, { cause: error });
  }
  logger?.info({ migration: migration.name, ms: Math.round(performance.now() - started) }, 'migration applied');
  return true;
}
