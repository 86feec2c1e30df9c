import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '@airlock/observability';
import { AuditExportFeedRepository, type FeedCursor } from './audit-export-feed.repository.js';
import { exportRecordOf } from './export-record.js';
import type { AuditSink } from './sinks/audit-sink.js';

export interface AuditExporterOptions {
  pg: Pick<Pool, 'connect'>;
  sinks: readonly AuditSink[];
  logger: Logger;
  /** Records per batch: what a sink acknowledges at once, and the most a restart may deliver twice. */
  batchSize: number;
  /** How long a caught-up exporter waits before reading again. */
  pollMs: number;
  /** How often a standby replica tries to take a sink's lock. Default 5 s. */
  lockRetryMs?: number;
  /** Backoff of a failed delivery: doubles from `min` up to `max`, with jitter. Default 250 ms .. 30 s. */
  retry?: { minMs: number; maxMs: number };
  /** Called after each acknowledged batch (tests, metrics). */
  onDelivered?: (sink: string, count: number, cursor: FeedCursor) => void;
}

export interface SinkStatus {
  sink: string;
  /** This process holds the sink's lock (it is the one exporting). */
  active: boolean;
  delivered: number;
  failures: number;
  cursor: FeedCursor | undefined;
}

/**
 * Streams `audit_events` to each sink, one loop per sink, at-least-once with a durable cursor:
 *
 * - Only one exporter per sink runs in the whole deployment: each loop first takes a Postgres advisory
 *   lock (session-level, on the connection the loop keeps); the other replicas retry every `lockRetryMs`
 *   and take over, from the durable cursor, when that connection ends (crash, network, shutdown).
 * - A batch is read after the cursor in feed order (see the repository), handed to the sink, retried with
 *   backoff until the sink acknowledges it, and only then is the cursor moved past it. A crash before the
 *   move repeats that one batch (and no more); nothing is skipped, since the cursor never passes a record
 *   that was not acknowledged, and the feed never puts a record behind the cursor.
 * - Batches go one after the other: the next is read only once the previous was acknowledged, so each
 *   sink gets the feed's order.
 */
export class AuditExporter {
  /** Ends the loops and wakes their pauses; a delivery in flight goes on (see close). */
  private readonly stop = new AbortController();
  /** Aborts a delivery in flight: when close's grace period is over. */
  private readonly cancelDelivery = new AbortController();
  private readonly loops: Array<Promise<void>> = [];
  private readonly status = new Map<string, SinkStatus>();

  constructor(private readonly options: AuditExporterOptions) {
    for (const sink of options.sinks) this.status.set(sink.name, { sink: sink.name, active: false, delivered: 0, failures: 0, cursor: undefined });
  }

  start(): void {
    for (const sink of this.options.sinks) this.loops.push(this.run(sink));
  }

  sinkNames(): string[] {
    return this.options.sinks.map((sink) => sink.name);
  }

  statusOf(sink: string): SinkStatus | undefined {
    const status = this.status.get(sink);
    return status && { ...status };
  }

  /**
   * Stops every loop and releases the locks. A batch in flight gets `graceMs` to be acknowledged (then the
   * cursor moves past it, so a rolling restart repeats nothing); after that it is abandoned and whoever
   * exports next sends it again. Failed attempts are not retried once closing.
   */
  async close(graceMs = 5_000): Promise<void> {
    this.stop.abort();
    const timer = setTimeout(() => this.cancelDelivery.abort(), graceMs);
    await Promise.all(this.loops);
    clearTimeout(timer);
    this.cancelDelivery.abort();
    await Promise.all(this.options.sinks.map((sink) => sink.close().catch(() => undefined)));
  }

  private get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(sink: AuditSink): Promise<void> {
    const { logger } = this.options;
    const status = this.status.get(sink.name) as SinkStatus;
    let failures = 0;
    while (!this.stopping) {
      let client: PoolClient | undefined;
      let broken = false;
      let locked = false;
      // A checked-out client's 'error' event needs a listener (or it crashes the process); the failed
      // query that follows it lands in the catch below.
      const onError = () => undefined;
      try {
        client = await this.options.pg.connect();
        client.on('error', onError);
        const repo = new AuditExportFeedRepository(client);
        locked = await repo.tryLock(sink.name);
        if (locked) {
          status.active = true;
          logger.info({ sink: sink.name }, 'audit export: exporting (this replica holds the sink lock)');
          try {
            // Returns only when stopping; a database error throws and the connection (and so the lock) is dropped.
            await this.exportWhileHeld(sink, repo, status);
          } finally {
            status.active = false;
          }
          await repo.unlock(sink.name);
        }
        failures = 0;
      } catch (error) {
        broken = true;
        failures++;
        logger.warn({ err: error, sink: sink.name }, 'audit export: lost the database connection; retrying');
        await this.pause(this.backoff(failures));
      } finally {
        client?.off('error', onError);
        // A broken connection is destroyed, not pooled: that is what releases a lock it may still hold.
        client?.release(broken ? true : undefined);
      }
      // Another replica exports this sink: try again later (it may stop or die).
      if (!locked && !broken) await this.pause(this.options.lockRetryMs ?? 5_000);
    }
  }

  /** Reads, delivers and advances until stopped; throws when the database fails (the caller reconnects). */
  private async exportWhileHeld(sink: AuditSink, repo: AuditExportFeedRepository, status: SinkStatus): Promise<void> {
    const { batchSize, pollMs, logger } = this.options;
    let cursor = await repo.cursor(sink.name);
    status.cursor = cursor;
    while (!this.stopping) {
      const rows = await repo.read(cursor, batchSize);
      if (rows.length === 0) {
        await this.pause(pollMs);
        continue;
      }
      const records = rows.map(exportRecordOf);
      if (!(await this.deliver(sink, records, status))) return;
      const last = rows[rows.length - 1] as (typeof rows)[number];
      const next = { txid: last.txid, seq: last.seq };
      await repo.advance(sink.name, cursor, next);
      cursor = next;
      status.cursor = next;
      status.delivered += rows.length;
      this.options.onDelivered?.(sink.name, rows.length, next);
      if (rows.length < batchSize) await this.pause(Math.min(pollMs, 50));
      else logger.debug({ sink: sink.name, count: rows.length }, 'audit export: batch delivered');
    }
  }

  /** Delivers one batch, retrying with backoff until acknowledged; false when stopped first. */
  private async deliver(sink: AuditSink, records: Parameters<AuditSink['deliver']>[0], status: SinkStatus): Promise<boolean> {
    let attempt = 0;
    while (!this.stopping) {
      try {
        await untilAborted(sink.deliver(records, this.cancelDelivery.signal), this.cancelDelivery.signal);
        if (attempt > 0) this.options.logger.info({ sink: sink.name, attempts: attempt + 1 }, 'audit export: batch delivered after retries');
        return true;
      } catch (error) {
        if (this.stopping) return false;
        attempt++;
        status.failures++;
        this.options.logger.warn({ err: error, sink: sink.name, attempt, records: records.length }, 'audit export: delivery failed; retrying the same batch');
        await this.pause(this.backoff(attempt));
      }
    }
    return false;
  }

  private backoff(attempt: number): number {
    const { minMs, maxMs } = this.options.retry ?? { minMs: 250, maxMs: 30_000 };
    const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt - 1, 20));
    return base / 2 + Math.random() * (base / 2);
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stop.signal }).catch(() => undefined);
  }
}

/** The promise, or a rejection as soon as the signal aborts (a sink that ignores the signal cannot hold up a stop). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
