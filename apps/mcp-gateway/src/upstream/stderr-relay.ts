import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '@airlock/observability';

/** Longest stderr line logged; the rest of the line is cut. */
const MAX_LINE_CHARS = 2_000;
/** Lines kept for the "exited before initialize" report, each cut shorter. */
const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 500;

/**
 * How much stderr one server may put in the gateway log: `bytes` per `windowMs`, shared by every process
 * of the server (a chatty or hostile server must not flood the log, however many sessions run it).
 */
export class StderrBudget {
  private windowStart = 0;
  private used = 0;
  dropped = 0;

  constructor(
    private readonly bytes = 64 * 1024,
    private readonly windowMs = 10_000,
  ) {}

  /** True if `size` more bytes may be logged now; else they are counted as dropped. */
  take(size: number): boolean {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used + size > this.bytes) {
      this.dropped += size;
      return false;
    }
    this.used += size;
    return true;
  }

  /** The bytes dropped since the last call, reset. */
  takeDropped(): number {
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}

/**
 * Relays one stdio server's stderr to the gateway log line by line, tagged with tenant and server, within
 * the server's budget (dropped bytes are reported as one line once logging resumes or the process ends),
 * and keeps its last lines for the report of a failed start.
 */
export class StderrRelay {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly tail: string[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly tags: { tenant: string; upstream: string },
    private readonly budget: StderrBudget,
  ) {}

  write(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    // A line without its end is cut where the cap is: nothing holds more than one line in memory.
    if (this.partial.length > MAX_LINE_CHARS) {
      lines.push(this.partial);
      this.partial = '';
    }
    for (const line of lines) this.line(line);
  }

  /** The process ended: its unfinished last line, and what the budget dropped. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest) this.line(rest);
    this.reportDropped();
  }

  /** The last lines the server wrote (bounded), oldest first. */
  lastLines(): string[] {
    return [...this.tail];
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (!line) return;
    this.tail.push(line.slice(0, TAIL_LINE_CHARS));
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    const logged = line.slice(0, MAX_LINE_CHARS);
    if (!this.budget.take(Buffer.byteLength(logged))) return;
    this.reportDropped();
    this.logger.info({ ...this.tags, stream: 'stderr' }, logged);
  }

  private reportDropped(): void {
    const dropped = this.budget.takeDropped();
    if (dropped > 0) this.logger.warn({ ...this.tags, stream: 'stderr', dropped }, `${dropped} bytes of stderr dropped`);
  }
}
