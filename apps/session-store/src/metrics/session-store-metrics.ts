import type { Pool } from 'pg';
import { Queues } from '@airlock/contracts';
import { Gauge, type ServiceMetrics } from '@airlock/metrics';
import type { QueueBackend } from '@airlock/queue';

interface SessionStoreMetricSources {
  pg: Pool;
  queues: QueueBackend;
  /** Jobs dropped after their last attempt since the process started, per queue (none when unknown). */
  droppedJobs?: () => ReadonlyMap<string, number>;
}

/**
 * The session store's series, read when Prometheus scrapes (never on a request path): live sessions by
 * kind (one indexed count), and every queue's depth and dropped jobs. The store's workers run every queue,
 * so this is where their backlog is watched.
 */
export function registerSessionStoreMetrics({ registry }: ServiceMetrics, sources: SessionStoreMetricSources): void {
  new Gauge({
    name: 'airlock_sessions',
    help: 'Live sessions (active, not past their lifetime) across all tenants, by kind (mcp, login).',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const { rows } = await sources.pg.query<{ kind: string; live: number }>(
        `SELECT kind::text AS kind, count(*)::int AS live FROM sessions WHERE state = 'active' AND expires_at > now() GROUP BY kind`,
      );
      this.reset();
      for (const kind of ['mcp', 'login']) this.labels(kind).set(rows.find((row) => row.kind === kind)?.live ?? 0);
    },
  });
  new Gauge({
    name: 'airlock_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed) at scrape time.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const queue of Object.values(Queues)) {
        const depth = await sources.queues.depth(queue);
        for (const [state, count] of Object.entries(depth)) this.labels(queue, state).set(count);
      }
    },
  });
  new Gauge({
    name: 'airlock_queue_jobs_dropped',
    help: 'Jobs dropped after their last attempt since this process started (lost work: see /readyz).',
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      const dropped = sources.droppedJobs?.() ?? new Map<string, number>();
      for (const queue of Object.values(Queues)) this.labels(queue).set(dropped.get(queue) ?? 0);
    },
  });
}
