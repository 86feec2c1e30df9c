import type { AuditExportRecord } from '../export-record.js';
import { PRODUCT } from '../product.js';
import { formatRecord, type AuditExportFormat, type AuditSink } from './audit-sink.js';
import { SIGNATURE_HEADER, signWebhookBody } from './webhook-signature.js';

export interface WebhookSinkOptions {
  url: string;
  secret: string;
  format: AuditExportFormat;
  /** One POST may take this long before it counts as failed (and is retried). Default 10 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** The receiver did not take the batch; the exporter retries it with backoff. */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * POSTs each batch as one JSON array, signed (`Airlock-Signature`, see webhook-signature.ts). A 2xx answer
 * acknowledges the batch; anything else (5xx, 4xx, a timeout, a refused connection) fails it and the
 * exporter sends the same records again, signed afresh, after a backoff. Batches go one at a time, the next
 * only after the previous was acknowledged, so the receiver sees the feed's order (and so each tenant's).
 */
export class WebhookSink implements AuditSink {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookSinkOptions) {}

  async deliver(records: readonly AuditExportRecord[], signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(records.map((record) => formatRecord(record, this.options.format)));
    const timestamp = Math.floor((this.options.now?.() ?? Date.now()) / 1000);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `airlock-audit-export/${PRODUCT.version}`,
          [SIGNATURE_HEADER]: signWebhookBody(this.options.secret, body, timestamp),
          'airlock-audit-format': this.options.format,
        },
        body,
        redirect: 'error',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
    } catch (error) {
      // Never the URL in the message: it may carry credentials.
      throw new WebhookDeliveryError(`webhook unreachable: ${(error as Error).name === 'TimeoutError' ? 'timed out' : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message)}`);
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) throw new WebhookDeliveryError(`webhook answered ${response.status}`, response.status);
  }

  async close(): Promise<void> {}
}
