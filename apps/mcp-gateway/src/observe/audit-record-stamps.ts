import { randomUUID } from 'node:crypto';

/**
 * Ids for the audit records of one process: a random UUID drawn once, its last 48 bits replaced by a
 * counter. Still UUID-shaped (version 4, variant bits kept) and globally unique in practice: ~74 random
 * bits tell processes apart, the counter tells this process's records apart (2^48 of them before it
 * would wrap). The session store's writer dedupes on the id (primary key, ON CONFLICT DO NOTHING), so a
 * record enqueued twice is still written once; nothing downstream orders by it beyond a tie-break.
 * Why: a random UUID per tool call was a visible share of the audit observer's cost.
 */
export class AuditRecordIds {
  private readonly prefix = randomUUID().slice(0, 24);
  private counter = 0;

  next(): string {
    this.counter += 1;
    return this.prefix + this.counter.toString(16).padStart(12, '0');
  }
}

const MILLIS = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}Z`);

/**
 * `new Date(ms).toISOString()`, with the date and time up to the second formatted once per second: a busy
 * gateway stamps thousands of records a second, and each then costs one lookup and one concatenation.
 */
export class AuditTimestamps {
  private second = Number.NaN;
  private secondText = '';

  iso(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      // 'YYYY-MM-DDTHH:MM:SS' of that second (years 0-9999: what toISOString writes without a sign).
      this.secondText = new Date(second * 1000).toISOString().slice(0, 19);
    }
    return this.secondText + MILLIS[ms - second * 1000]!;
  }
}
