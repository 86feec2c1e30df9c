import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MigrationFile {
  /** The directory name, e.g. `20261125000000_init`: what `_prisma_migrations.migration_name` holds. */
  name: string;
  sql: string;
  /** sha256 of migration.sql, lowercase hex, as Prisma's schema engine records it. */
  checksum: string;
}

export class MigrationFilesError extends Error {
  override name = 'MigrationFilesError';
}

/** The migrations in Prisma's layout (`<dir>/<timestamp>_<name>/migration.sql`), oldest first. */
export function readMigrationFiles(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationFilesError(`migrations directory not found: ${dir}`);
  const lockFile = join(dir, 'migration_lock.toml');
  if (existsSync(lockFile)) {
    const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(readFileSync(lockFile, 'utf8'))?.[1];
    if (provider !== 'postgresql') throw new MigrationFilesError(`${lockFile} says provider "${provider ?? '?'}", expected "postgresql"`);
  }
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: sha256(sql) };
    });
}

/**
 * Whether a script still matches the checksum recorded when it was applied. Same rules as Prisma's
 * engine: line endings do not count (git rewrites them), and old engines wrote the hex without zero
 * padding.
 */
export function checksumMatches(sql: string, recorded: string): boolean {
  const variants = [sql, sql.replaceAll('\r\n', '\n'), sql.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    const rendered = recorded.length === 64 ? digest.toString('hex') : [...digest].map((byte) => byte.toString(16)).join('');
    return rendered === recorded;
  });
}

/** A digest of every migration's name and checksum: changes whenever any migration does. */
export function migrationsFingerprint(migrations: MigrationFile[]): string {
  const hash = createHash('sha256');
  for (const migration of migrations) hash.update(`${migration.name}\0${migration.checksum}\n`);
  return hash.digest('hex');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
