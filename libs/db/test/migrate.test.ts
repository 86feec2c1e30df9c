import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, MigrationError, readMigrationFiles } from '../src/index.js';
import { createEmptyDatabase, loadEmptyDump, mode, queryOnce } from './support/databases.js';
import type { EmptyDatabase } from './support/databases.js';

const migrationNames = readMigrationFiles(defaultMigrationsDir).map((m) => m.name);
// The one slow step (a PGlite initdb, when no run has cached it yet) belongs in a hook, not a test.
beforeAll(async () => {
  if (mode === 'embedded') await loadEmptyDump();
});
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emptyDatabase(): Promise<EmptyDatabase> {
  const db = await createEmptyDatabase();
  cleanups.push(() => db.close());
  return db;
}

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-migrations-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(defaultMigrationsDir, dir, { recursive: true });
  return dir;
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}
const historyOf = (url: string) => queryOnce<MigrationRow>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY started_at');

describe(`migrate (${mode} PostgreSQL)`, () => {
  it('applies every migration to an empty database, then does nothing the second time', async () => {
    const db = await emptyDatabase();
    expect(await migrate({ databaseUrl: db.url })).toEqual(migrationNames);
    const tables = await queryOnce<{ table_name: string }>(db.url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    expect(tables.map((t) => t.table_name)).toContain('tenants');

    expect(await migrate({ databaseUrl: db.url })).toEqual([]);
    expect(await historyOf(db.url)).toHaveLength(migrationNames.length);
  });

  it("records _prisma_migrations in Prisma's own table format and values", async () => {
    const db = await emptyDatabase();
    await migrate({ databaseUrl: db.url });
    const columns = await queryOnce<{ column_name: string; data_type: string; character_maximum_length: number | null; is_nullable: string; column_default: string | null }>(
      db.url,
      "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => [c.column_name, c.data_type, c.character_maximum_length, c.is_nullable, c.column_default])).toEqual([
      ['id', 'character varying', 36, 'NO', null],
      ['checksum', 'character varying', 64, 'NO', null],
      ['finished_at', 'timestamp with time zone', null, 'YES', null],
      ['migration_name', 'character varying', 255, 'NO', null],
      ['logs', 'text', null, 'YES', null],
      ['rolled_back_at', 'timestamp with time zone', null, 'YES', null],
      ['started_at', 'timestamp with time zone', null, 'NO', 'now()'],
      ['applied_steps_count', 'integer', null, 'NO', '0'],
    ]);
    const primaryKey = await queryOnce<{ column_name: string }>(
      db.url,
      "SELECT k.column_name FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k USING (constraint_name) WHERE c.table_name = '_prisma_migrations' AND c.constraint_type = 'PRIMARY KEY'",
    );
    expect(primaryKey).toEqual([{ column_name: 'id' }]);

    const [row] = await historyOf(db.url);
    const sql = readFileSync(join(defaultMigrationsDir, migrationNames[0] ?? '', 'migration.sql'));
    expect(row).toMatchObject({
      migration_name: migrationNames[0],
      checksum: createHash('sha256').update(sql).digest('hex'),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row?.finished_at?.getTime()).toBeGreaterThanOrEqual(row?.started_at.getTime() ?? Infinity);
  });

  it('is safe when two runners start at once on one fresh database', async () => {
    const db = await emptyDatabase();
    const [first, second] = await Promise.all([migrate({ databaseUrl: db.url }), migrate({ databaseUrl: db.url })]);
    expect([...first, ...second].sort()).toEqual(migrationNames);
    const history = await historyOf(db.url);
    expect(history.map((row) => row.migration_name)).toEqual(migrationNames);
    expect(history.every((row) => row.finished_at !== null)).toBe(true);
  });

  it('refuses to run when an applied migration was edited, and names it', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    const edited = join(dir, migrationNames[0] ?? '', 'migration.sql');
    appendFileSync(edited, '\nCREATE TABLE "sneaky" ("id" INTEGER);\n');
    addMigration(dir, '29990101000000_after_edit', 'CREATE TABLE "after_edit" ("id" INTEGER);');

    const run = migrate({ databaseUrl: db.url, migrationsDir: dir });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(run).rejects.toThrow(`applied migration ${migrationNames[0]} was modified after it was applied`);
    // Nothing after the refusal ran.
    expect(await historyOf(db.url)).toHaveLength(migrationNames.length);
  });

  it('accepts an applied migration whose only change is line endings (git on Windows), like Prisma', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    const file = join(dir, migrationNames[0] ?? '', 'migration.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('\n', '\r\n'));
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual([]);
  });

  it('rolls a failing migration back completely and records nothing; the fixed one applies later', async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    addMigration(dir, '29990101000000_broken', 'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT * FROM "no_such_table";');

    await expect(migrate({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(/migration 29990101000000_broken failed and was rolled back: .*no_such_table/);
    expect(await historyOf(db.url)).toHaveLength(migrationNames.length);
    expect(await queryOnce(db.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'")).toEqual([]);

    addMigration(dir, '29990101000000_broken', 'CREATE TABLE "half_done" ("id" INTEGER);');
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual(['29990101000000_broken']);
  });

  it('refuses to run over a migration that started and never finished (as Prisma does)', async () => {
    const db = await emptyDatabase();
    await migrate({ databaseUrl: db.url });
    await queryOnce(db.url, 'UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = $1', [migrationNames[0]]);
    await expect(migrate({ databaseUrl: db.url })).rejects.toThrow(`migration ${migrationNames[0]} started but never finished`);
  });
});

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}
