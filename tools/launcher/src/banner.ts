import { resolve } from 'node:path';
import type { Infra, StartedApp } from '@airlock/platform';

/** The human-readable start banner: what runs where, and the embedded demo credentials. */
export function formatBanner(apps: readonly StartedApp[], infra: Pick<Infra, 'embedded'>, dataDir: string): string {
  const embedded = infra.embedded;
  const backing = [
    embedded.database ? `PostgreSQL: embedded PGlite in ${resolve(dataDir, 'pg')}` : 'PostgreSQL: DATABASE_URL',
    embedded.hotStore ? 'hot store and queues: in process' : 'hot store and queues: REDIS_URL',
  ];
  const lines = [
    '',
    'Airlock is running',
    ...backing.map((line) => `  ${line}`),
    '',
    ...apps.flatMap((app) => [`  ${app.name.padEnd(15)} listening on ${app.url}`, ...app.banner.map((line) => `    ${line}`)]),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}
