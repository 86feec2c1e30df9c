import type { Pool } from 'pg';
import { Counter, Gauge, type ServiceMetrics } from '@airlock/metrics';
import type { AuditExporter } from './audit-exporter.js';

/**
 * The audit export's series, read when Prometheus scrapes: records delivered and failed attempts by this
 * replica, whether it is the one exporting a sink, and each sink's lag, the age of the oldest record it
 * has not delivered (0 when caught up; from the durable cursor, so every replica reports the same).
 */
export function registerAuditExportMetrics({ registry }: ServiceMetrics, sources: { pg: Pick<Pool, 'query'>; exporter: AuditExporter }): void {
  const sinks = sources.exporter.sinkNames();
  const seen = new Map<string, { delivered: number; failures: number }>(sinks.map((sink) => [sink, { delivered: 0, failures: 0 }]));
  const delta = (sink: string, key: 'delivered' | 'failures') => {
    const status = sources.exporter.statusOf(sink);
    const last = seen.get(sink) as { delivered: number; failures: number };
    const now = status?.[key] ?? last[key];
    const inc = now - last[key];
    last[key] = now;
    return inc;
  };
  new Counter({
    name: 'airlock_audit_export_records_total',
    help: 'Audit records this replica delivered to a sink (acknowledged), by sink.',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const sink of sinks) this.labels(sink).inc(delta(sink, 'delivered'));
    },
  });
  new Counter({
    name: 'airlock_audit_export_failures_total',
    help: 'Failed delivery attempts of this replica (each is retried), by sink.',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const sink of sinks) this.labels(sink).inc(delta(sink, 'failures'));
    },
  });
  new Gauge({
    name: 'airlock_audit_export_active',
    help: '1 when this replica holds the sink\'s lock and exports it, else 0 (standing by).',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const sink of sinks) this.labels(sink).set(sources.exporter.statusOf(sink)?.active ? 1 : 0);
    },
  });
  new Gauge({
    name: 'airlock_audit_export_lag_seconds',
    help: 'Age of the oldest audit record a sink has not delivered yet (0: caught up), by sink.',
    labelNames: ['sink'],
    registers: [registry],
    async collect() {
      // One index probe per sink: the first row after its cursor in feed order.
      const { rows } = await sources.pg.query<{ sink: string; lag: number | null }>(
        `SELECT s.sink, extract(epoch FROM now() - (
           SELECT e.occurred_at FROM audit_events e
           WHERE (e.txid, e.seq) > (coalesce(c.last_txid, 0), coalesce(c.last_seq, 0))
           ORDER BY e.txid, e.seq LIMIT 1))::float8 AS lag
         FROM unnest($1::text[]) AS s(sink) LEFT JOIN audit_export_cursors c ON c.sink = s.sink`,
        [sinks],
      );
      for (const sink of sinks) this.labels(sink).set(Math.max(0, rows.find((row) => row.sink === sink)?.lag ?? 0));
    },
  });
}
