import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import type { Logger } from '@airlock/observability';
import type { RuntimeConfig } from '@airlock/config';
import { createPgPool, databaseUnavailable, migrate, startEmbeddedPostgres } from '@airlock/db';
import { createMemoryHotStore, createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { createBullMqBackend, createMemoryQueueBackend } from '@airlock/queue';
import type { JobFailure, QueueBackend } from '@airlock/queue';
import type { ReadinessCheck } from '@airlock/http-server';
import { createFailedJobs } from './failed-jobs.js';
import { infraLogHooks } from './infra-log-hooks.js';
import { resolveMasterKey } from './master-key.js';

/** Everything with a side effect that an app needs, built once per process and shared by its apps. */
export interface Infra {
  databaseUrl: string;
  pg: Pool;
  hot: HotStore;
  queues: QueueBackend;
  masterKey: Buffer;
  readiness: ReadinessCheck[];
  /** Jobs dropped after their last attempt since the process started, per queue (metrics). */
  droppedJobs?: () => ReadonlyMap<string, number>;
  /** What runs in process instead of a server, for the start banner and the docs. */
  embedded: { database: boolean; hotStore: boolean; queues: boolean };
  close(): Promise<void>;
}

export interface CreateInfraOptions {
  runtime: RuntimeConfig;
  logger: Logger;
  /** Apply pending migrations before returning (the launcher does; production runs the migrate job). */
  migrate?: boolean;
}

export async function createInfra({ runtime, logger, migrate: runMigrations = false }: CreateInfraOptions): Promise<Infra> {
  const dataDir = resolve(runtime.dataDir);
  const closers: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  // Idempotent, in reverse order of creation: queues and hot store, then database clients, then the
  // embedded server they talk to.
  const close = () =>
    (closing ??= (async () => {
      for (const closer of [...closers].reverse()) await closer().catch((error: unknown) => logger.warn({ err: error }, 'error while closing infra'));
    })());
  try {
    let databaseUrl = runtime.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
      closers.push(() => embedded.close());
      databaseUrl = embedded.url;
    }
    if (runMigrations || !runtime.databaseUrl) {
      const applied = await migrate({ databaseUrl, logger });
      if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    }
    const dbUrl = databaseUrl;
    const pg = createPgPool(databaseUrl);
    closers.push(() => pg.end());

    // Outages and failing jobs show in the log (rate-limited), not only as 503s and /readyz.
    const hooks = infraLogHooks(logger);
    const hot = runtime.redisUrl ? createRedisHotStore({ url: runtime.redisUrl, onConnectionError: hooks.onHotStoreError }) : createMemoryHotStore();
    closers.push(() => hot.close());
    // Jobs dropped after their last attempt turn /readyz `degraded` (and are logged at error by the hooks).
    const failedJobs = createFailedJobs();
    const queueHooks = {
      ...hooks.queues,
      onJobFailed: (failure: JobFailure) => {
        failedJobs.record(failure);
        hooks.queues.onJobFailed(failure);
      },
    };
    const queues = runtime.redisUrl ? createBullMqBackend({ url: runtime.redisUrl, ...queueHooks }) : createMemoryQueueBackend(queueHooks);
    closers.push(() => queues.close());

    const masterKey = resolveMasterKey({ configured: runtime.masterKey, dataDir, production: runtime.env === 'production' });

    const readiness: ReadinessCheck[] = [
      {
        name: 'postgres',
        // Named (host:port/db, no credentials) in the log line of a failed check, not a bare ECONNREFUSED.
        check: async () => void (await pg.query('SELECT 1').catch((error: unknown) => Promise.reject(databaseUnavailable(dbUrl, error)))),
      },
      { name: runtime.redisUrl ? 'redis' : 'hot-store', check: () => hot.ping() },
      {
        name: 'queues',
        check: async () => {
          await queues.ping();
          return failedJobs.degraded();
        },
      },
    ];
    return {
      databaseUrl,
      pg,
      hot,
      queues,
      masterKey,
      readiness,
      droppedJobs: () => failedJobs.dropped(),
      embedded: { database: !runtime.databaseUrl, hotStore: !runtime.redisUrl, queues: !runtime.redisUrl },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
