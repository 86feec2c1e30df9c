import type { ServerResponse } from 'node:http';
import { listenAcknowledgement, listenEndResponse, listenNotification } from '@airlock/mcp-protocol';
import type { JsonRpcId, SubscriptionFilter } from '@airlock/mcp-protocol';

/** Where a listen source delivers the change notifications it accepted (already filtered). */
export type ListenSink = (method: string, params: Record<string, unknown> | undefined) => void;

/**
 * One upstream side of a `subscriptions/listen` stream (a 2025 session, a 2026 listen stream, or the
 * aggregate of several). Notifications that arrive before `start` are held, so none precedes the
 * acknowledgement the client must see first.
 */
export interface ListenSource {
  /** What the upstream side agreed to deliver (the acknowledgement reports it). */
  readonly honored: SubscriptionFilter;
  start(sink: ListenSink): void;
  /** Resolves when the upstream side ended by itself (never when `close` ended it). */
  readonly ended: Promise<'graceful' | 'remote'>;
  close(): Promise<void>;
}

/** Holds notifications until the consumer starts, then passes them straight on. */
export class HeldSink {
  private sink: ListenSink | undefined;
  private readonly held: Array<[string, Record<string, unknown> | undefined]> = [];

  readonly deliver: ListenSink = (method, params) => {
    if (this.sink) this.sink(method, params);
    else if (this.held.length < 100) this.held.push([method, params]);
  };

  start(sink: ListenSink): void {
    this.sink = sink;
    for (const [method, params] of this.held.splice(0)) sink(method, params);
  }
}

const KEEP_ALIVE_MS = 15_000;

/**
 * The client side of a listen stream: `notifications/subscriptions/acknowledged` first, then the
 * notifications, each stamped with the listen request's id; a comment line now and then keeps idle
 * proxies from cutting it. The server ending it deliberately sends the `subscriptions/listen` response
 * first; an upstream that vanished just closes it (the client re-listens).
 */
export class ListenStream {
  private open = true;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly id: JsonRpcId,
    private readonly headers: Record<string, string>,
  ) {}

  start(honored: SubscriptionFilter): void {
    this.response.writeHead(200, { 'content-type': 'text/event-stream', ...this.headers });
    this.write(listenAcknowledgement(honored, this.id));
    this.keepAlive = setInterval(() => this.open && this.response.write(': keepalive\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  send(method: string, params: Record<string, unknown> | undefined): void {
    this.write(listenNotification(method, params, this.id));
  }

  end(graceful: boolean): void {
    if (!this.open) return;
    if (graceful) this.write(listenEndResponse(this.id, { name: 'airlock-gateway', version: '1' }));
    this.open = false;
    clearInterval(this.keepAlive);
    this.response.end();
  }

  private write(message: unknown): void {
    if (this.open && !this.response.writableEnded) this.response.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }
}

/**
 * Reads an SSE body message by message as it arrives (the listen stream of a 2026 upstream, a call's
 * progress before its answer). Data that is not JSON is skipped.
 */
export async function readSseMessages(body: ReadableStream<Uint8Array>, onMessage: (message: unknown) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, '\n');
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (!data) continue;
        let message: unknown;
        try {
          message = JSON.parse(data);
        } catch {
          continue;
        }
        onMessage(message);
      }
    }
  } finally {
    reader.releaseLock();
  }
}
