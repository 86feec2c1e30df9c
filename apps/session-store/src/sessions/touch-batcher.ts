import { randomUUID } from 'node:crypto';
import { Queues } from '@airlock/contracts';
import type { QueueBackend } from '@airlock/queue';
import type { Logger } from '@airlock/observability';
import type { SessionHotRepository } from './session-hot.repository.js';
import { SessionJobs } from '../jobs/session-jobs.js';
import type { SeenJob } from '../jobs/session-jobs.js';

interface PendingTouch {
  tenant: string;
  id: string;
  ttlMs: number;
  seenAt: string;
}

export interface TouchBatcherOptions {
  /** Hot-store flush period: touches of one session within it cost one EXPIRE. */
  flushMs: number;
  /** Durable last-seen flush period: one queued job per period however many sessions were touched. */
  durableFlushMs: number;
}

/**
 * Coalesces touches per session and applies them in batches: the hot store every `flushMs` (one
 * pipelined EXPIRE + SET per batch), Postgres every `durableFlushMs` through the queue. A touch request
 * therefore never writes to Postgres, and a burst of touches on one session costs one write.
 */
export class TouchBatcher {
  private hotPending = new Map<string, PendingTouch>();
  private durablePending = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: SessionHotRepository,
    private readonly queues: QueueBackend,
    private readonly logger: Logger,
    private readonly options: TouchBatcherOptions,
  ) {}

  start(): void {
    const hot = setInterval(() => void this.flushHot(), this.options.flushMs);
    const durable = setInterval(() => void this.flushDurable(), this.options.durableFlushMs);
    hot.unref();
    durable.unref();
    this.timers.push(hot, durable);
  }

  touch(touch: PendingTouch): void {
    const key = `${touch.tenant}\u0000${touch.id}`;
    this.hotPending.set(key, touch);
    this.durablePending.set(touch.id, touch.seenAt);
  }

  /** Applies pending touches now (tests, shutdown). */
  async flush(): Promise<void> {
    await this.flushHot();
    await this.flushDurable();
  }

  async close(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.flush().catch((error: unknown) => this.logger.warn({ err: error }, 'pending touches not flushed at shutdown'));
  }

  private flushHot(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.hotPending.size === 0) return;
      const batch = [...this.hotPending.values()];
      this.hotPending = new Map();
      try {
        await this.repository.applyTouches(batch);
      } catch (error) {
        // The hot store is down: the sessions will idle out sooner than they should, never later.
        this.logger.warn({ err: error, touches: batch.length }, 'touch batch not applied');
      }
    });
    return this.flushing;
  }

  private async flushDurable(): Promise<void> {
    if (this.durablePending.size === 0) return;
    const entries = [...this.durablePending].map(([id, lastSeenAt]) => ({ id, lastSeenAt }));
    this.durablePending = new Map();
    try {
      await this.queues.enqueue<SeenJob>(Queues.sessions, SessionJobs.seen, { entries }, { jobId: `seen.${randomUUID()}` });
    } catch (error) {
      // Put them back (newer stamps win) for the next period.
      for (const entry of entries) if ((this.durablePending.get(entry.id) ?? '') < entry.lastSeenAt) this.durablePending.set(entry.id, entry.lastSeenAt);
      this.logger.warn({ err: error, entries: entries.length }, 'last-seen flush not enqueued; will retry');
    }
  }
}
