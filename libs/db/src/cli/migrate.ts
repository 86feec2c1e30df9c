// `npm run db:migrate`: applies pending migrations to DATABASE_URL and exits. Production runs it as a
// one-shot job before the services start; replicas that run it at once are safe (advisory lock).
import { z } from 'zod';
import { ConfigError, loadConfig, postgresUrl } from '@airlock/config';
import { migrate } from '../migrations/migrate.js';
import type { MigrationLogger } from '../migrations/migrate.js';

const cliConfigSchema = z.object({ DATABASE_URL: postgresUrl.optional() }).superRefine((env, ctx) => {
  if (env.DATABASE_URL === undefined) ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required (postgresql://user@host:port/database)' });
});

// One line per event on stderr; the CLI stays free of the logging stack so it runs in a slim image.
const logger: MigrationLogger = {
  info: (details, message) => process.stderr.write(`${message} ${JSON.stringify(details)}\n`),
  warn: (details, message) => process.stderr.write(`warning: ${message} ${JSON.stringify(details)}\n`),
};

async function main(): Promise<number> {
  let databaseUrl: string;
  try {
    databaseUrl = loadConfig(cliConfigSchema).DATABASE_URL ?? '';
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    const applied = await migrate({ databaseUrl, logger });
    process.stdout.write(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  } catch (error) {
    process.stderr.write(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main();
