import type { Logger } from '@airlock/observability';

export type DrainHook = () => void | Promise<void>;

/**
 * The shutdown state of one HTTP app, injectable anywhere in it. Draining starts before the server
 * closes: /readyz turns 503 so load balancers stop sending traffic, `signal` aborts, and every drain hook
 * runs so long-lived responses (SSE streams) can send a `retry` and end; the server then waits only for
 * ordinary in-flight requests.
 */
export class HttpLifecycle {
  private readonly hooks = new Set<DrainHook>();
  private readonly controller = new AbortController();
  private drained: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  get draining(): boolean {
    return this.controller.signal.aborted;
  }

  /** Aborts when draining starts; pass it to anything long-lived. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Registers a hook run once when draining starts; returns a function that unregisters it. */
  onDrain(hook: DrainHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** Starts draining (idempotent) and resolves when every hook has finished. */
  drain(): Promise<void> {
    this.drained ??= this.runHooks();
    return this.drained;
  }

  private async runHooks(): Promise<void> {
    this.controller.abort();
    await Promise.all(
      [...this.hooks].map(async (hook) => {
        try {
          await hook();
        } catch (error) {
          this.logger.warn({ err: error }, 'a drain hook failed');
        }
      }),
    );
  }
}
