/** Something that ends when its deadline passes. */
export interface Expiring {
  expire(): void;
}

/**
 * Deadlines of in-flight calls, checked by one shared timer instead of a timer per call: every call has
 * the same long timeout (minutes), so a call may end up to `checkMs` late, and a call that finishes in
 * time costs a Map insert and delete, not a timer armed and cleared.
 */
export class CallDeadlines {
  private readonly due = new Map<Expiring, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly checkMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(call: Expiring): void {
    this.due.set(call, this.now() + this.timeoutMs);
    // Stopped by a check that finds nothing left, not by `delete`: no timer churn when calls come one at a time.
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.checkMs);
      this.timer.unref();
    }
  }

  delete(call: Expiring): void {
    this.due.delete(call);
  }

  get size(): number {
    return this.due.size;
  }

  private check(): void {
    const now = this.now();
    // Insertion order is deadline order (one timeout for all): stop at the first call still in time.
    for (const [call, at] of this.due) {
      if (at > now) break;
      this.due.delete(call);
      call.expire();
    }
    if (this.due.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
