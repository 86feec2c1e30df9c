import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which downstream stream an upstream's server-to-client request belongs to. An upstream call made
 * inside `run(streamId, ...)` carries that id in its async context; the SDK's Streamable HTTP client
 * reads the call's response stream in the same context, so a sampling, elicitation or roots request the
 * upstream sends on that stream reaches its handler with `current()` naming the downstream stream of the
 * call it relates to, even when several calls to one upstream are in flight. Messages from the upstream's
 * standalone GET stream, and every message of a stdio upstream (one pipe, no per-call streams), have no
 * such context: `current()` is undefined and the caller falls back to its own choice.
 */
export class RelatedStreams {
  private readonly context = new AsyncLocalStorage<string>();

  run<T>(streamId: string, call: () => Promise<T>): Promise<T> {
    return this.context.run(streamId, call);
  }

  current(): string | undefined {
    return this.context.getStore();
  }
}
