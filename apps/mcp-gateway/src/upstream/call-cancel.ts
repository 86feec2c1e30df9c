/**
 * Cancels one call, like an AbortController, without an EventTarget per call: the relay to http
 * upstreams needs one listener. Callees that need a real AbortSignal (the SDK client for stdio
 * upstreams, 2026-07-28 links) get one from `signal`, made on first use.
 */
export class CallCancel {
  aborted = false;
  reason: unknown = undefined;
  private listener: ((reason: unknown) => void) | undefined;
  private controller: AbortController | undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
    this.controller?.abort(reason);
  }

  /** The one listener (a later call replaces it; undefined removes it); called at most once. */
  onAbort(listener: ((reason: unknown) => void) | undefined): void {
    this.listener = listener;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}
