import type { AuditExportRecord } from '../export-record.js';
import { toOcsf } from '../ocsf.js';

export type AuditExportFormat = 'airlock' | 'ocsf';

/**
 * Where exported records go. `deliver` resolves only once the sink has the batch (the file is fsync'd, the
 * webhook answered 2xx, the syslog transport took it) and rejects otherwise; the exporter then retries the
 * same batch, and moves its cursor only after a resolve.
 */
export interface AuditSink {
  /** The cursor's name: one cursor (and one lock) per sink. */
  readonly name: string;
  deliver(records: readonly AuditExportRecord[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function formatRecord(record: AuditExportRecord, format: AuditExportFormat): unknown {
  return format === 'ocsf' ? toOcsf(record) : record;
}
