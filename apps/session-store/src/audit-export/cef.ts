import type { AuditExportRecord } from './export-record.js';
import { PRODUCT } from './product.js';

// ArcSight Common Event Format (CEF:0), the payload of the syslog sink:
//   CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|key=value key=value ...
// Escaping (CEF spec "Character encoding"): in the header `\` and `|` are escaped with a backslash; in
// extension values `\` and `=` are, and line breaks are written as the two characters `\n` / `\r` (a raw
// one would end the record for most parsers). Pipes need no escape in values. Header fields are single
// line: a line break there becomes a space.

export function escapeCefHeader(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, ' ');
}

export function escapeCefValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');
}

/** CEF severity 0-10: success 3 (low), failure and refused 5 (medium), denied 6 (medium). */
const SEVERITY: Record<AuditExportRecord['outcome'], number> = { success: 3, failure: 5, refused: 5, denied: 6 };

export function cefSeverityOf(outcome: AuditExportRecord['outcome']): number {
  return SEVERITY[outcome];
}

/** One CEF line (no trailing newline) for one audit record. The key order is fixed. */
export function toCef(record: AuditExportRecord): string {
  const header = [
    'CEF:0',
    escapeCefHeader(PRODUCT.vendor),
    escapeCefHeader(PRODUCT.name),
    escapeCefHeader(PRODUCT.version),
    escapeCefHeader(record.action),
    escapeCefHeader(`${record.action} ${record.outcome}`),
    String(SEVERITY[record.outcome]),
  ].join('|');
  const ext: Array<[string, string | undefined]> = [
    ['rt', String(Date.parse(record.occurredAt))],
    ['externalId', record.id],
    ['act', record.action],
    ['outcome', record.outcome],
    ['suser', record.actor.subject],
  ];
  // Custom fields with their labels; both are left out when the value is absent.
  const custom: Array<[string, string, string | undefined]> = [
    ['cs1', 'tenant', record.tenant.slug],
    ['cs2', 'clientId', record.actor.clientId],
    ['cs3', 'target', record.target ?? undefined],
    ['cs4', 'requestId', record.requestId ?? undefined],
    ['cs5', 'tenantId', record.tenant.id],
    ['cs6', 'details', JSON.stringify(record.details)],
    ['cn1', 'seq', record.seq],
  ];
  for (const [key, label, value] of custom) if (value !== undefined && value !== '') ext.push([`${key}Label`, label], [key, value]);
  const extension = ext
    .filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== '')
    .map(([key, value]) => `${key}=${escapeCefValue(value)}`)
    .join(' ');
  return `${header}|${extension}`;
}
