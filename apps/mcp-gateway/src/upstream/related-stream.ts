import { AsyncLocalStorage } from 'node:async_hooks';

/** One store for every runtime: an async flow relates to at most one downstream stream. */
const context = new AsyncLocalStorage<string>();

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
  run<T>(streamId: string, call: () => Promise<T>): Promise<T> {
    return context.run(streamId, call);
  }

  current(): string | undefined {
    return context.getStore();
  }
}

/**
 * Runs `work` with `streamId` as the related stream. The relay to http upstreams uses it only around
 * the rare message it hands to the SDK client (an upstream's own request or notification), instead of
 * running every call in a context: a context per call cost more than the rest of the call's bookkeeping.
 */
export function withRelatedStream<T>(streamId: string, work: () => T): T {
  return context.run(streamId, work);
}
