import type { Pool } from 'pg';
import type { AuditExportConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import { AuditExporter, type AuditExporterOptions } from './audit-exporter.js';
import type { AuditSink } from './sinks/audit-sink.js';
import { JsonLinesSink } from './sinks/json-lines-sink.js';
import { SyslogSink } from './sinks/syslog-sink.js';
import { WebhookSink } from './sinks/webhook-sink.js';

/** The sinks the config turns on (none: no exporter). */
export function sinksOf(config: AuditExportConfig): AuditSink[] {
  const sinks: AuditSink[] = [];
  if (config.jsonl) sinks.push(new JsonLinesSink(config.jsonl));
  if (config.webhook) sinks.push(new WebhookSink(config.webhook));
  if (config.syslog) sinks.push(new SyslogSink(config.syslog));
  return sinks;
}

/** An exporter for the configured sinks, not started; undefined when no sink is configured. */
export function createAuditExporter(
  config: AuditExportConfig,
  deps: { pg: Pick<Pool, 'connect'>; logger: Logger } & Partial<Pick<AuditExporterOptions, 'lockRetryMs' | 'retry' | 'onDelivered'>>,
): AuditExporter | undefined {
  const sinks = sinksOf(config);
  if (sinks.length === 0) return undefined;
  return new AuditExporter({ ...deps, sinks, batchSize: config.batchSize, pollMs: config.pollMs });
}
