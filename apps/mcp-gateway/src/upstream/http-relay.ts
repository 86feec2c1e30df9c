import { Pool } from 'undici';
import type { buildConnector, Dispatcher } from 'undici';

/**
 * The connection pools to http upstreams: one per origin, shared by every upstream session of this
 * process (keep-alive, one request at a time per connection). Connections are not capped: a call whose
 * SSE answer stays open (progress, elicitation) holds its connection, and a cap would queue other
 * sessions' calls behind it.
 */
const pools = new Map<string, Pool>();

/** Long enough for the longest call; the call's own timer ends it earlier when it must. */
const HEADERS_TIMEOUT_MS = 10 * 60_000;

/** Pools per connector (one per gateway instance: its egress policy), so tests running several gateways in a process keep theirs apart. */
const connectorIds = new WeakMap<buildConnector.connector, number>();
let nextConnectorId = 0;

export function upstreamPool(url: URL, connect: buildConnector.connector): Pool {
  let id = connectorIds.get(connect);
  if (id === undefined) connectorIds.set(connect, (id = nextConnectorId++));
  const key = `${id}|${url.origin}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(url.origin, {
      // Every connection checked against the egress policy on its resolved address.
      connect,
      pipelining: 1,
      headersTimeout: HEADERS_TIMEOUT_MS,
      // An SSE answer may be silent for minutes (a call waiting on an elicitation): no idle limit on bodies.
      bodyTimeout: 0,
    });
    pools.set(key, pool);
  }
  return pool;
}

/** Connections of every upstream pool of this process, summed (metrics; read at scrape time). */
export function upstreamPoolStats(): { connected: number; busy: number; queued: number } {
  const totals = { connected: 0, busy: 0, queued: 0 };
  for (const pool of pools.values()) {
    const { connected, running, pending } = pool.stats;
    totals.connected += connected;
    totals.busy += running;
    totals.queued += pending;
  }
  return totals;
}

/** Closes every pool (process shutdown, tests). */
export async function closeUpstreamPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(open.map((pool) => pool.close().catch(() => undefined)));
}

/** What reads one response: told its status and content type, then given its body as it arrives. */
export interface ResponseSink {
  start(status: number, contentType: string): void;
  data(chunk: Buffer): void;
}

export interface Exchange {
  /** Settles when the response has ended (or failed: network error, abort). */
  done: Promise<void>;
  /** Stops the exchange (closes its connection if the response is still coming). */
  abort(): void;
}

/**
 * One request on `pool`, its response given to `sink` straight from undici's parser: no stream objects,
 * no async iteration, no promise per chunk. A sink that throws ends the exchange with that error.
 */
export function startExchange(pool: Pool, request: { path: string; method: 'POST' | 'GET'; headers: Record<string, string>; body?: string }, sink: ResponseSink): Exchange {
  const exchange = new DispatchedExchange(sink);
  pool.dispatch(
    request.body === undefined
      ? { origin: undefined, path: request.path, method: request.method, headers: request.headers }
      : { origin: undefined, path: request.path, method: request.method, headers: request.headers, body: request.body },
    exchange,
  );
  return exchange;
}

/** undici's handler and the caller's Exchange in one object (its methods on the prototype, no closures per request). */
class DispatchedExchange implements Dispatcher.DispatchHandler, Exchange {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private aborted: Error | undefined;

  constructor(private readonly sink: ResponseSink) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(this.aborted);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    try {
      this.sink.start(status, String(headers['content-type'] ?? ''));
    } catch (error) {
      controller.abort(error as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    try {
      this.sink.data(chunk);
    } catch (error) {
      controller.abort(error as Error);
    }
  }

  onResponseEnd(): void {
    this.resolve();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = new Error('exchange aborted');
    this.controller?.abort(this.aborted);
  }
}

export interface SseEvent {
  id?: string;
  data: string;
  event?: string;
}

/**
 * Server-sent events (WHATWG "event stream interpretation"), fed text as it arrives. Lines end in CRLF,
 * LF or CR; an event is dispatched at a blank line; `retry` is reported separately.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private id: string | undefined;
  private event: string | undefined;
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  private pendingCr = false;
  retryMs: number | undefined;

  push(text: string, onEvent: (event: SseEvent) => void): void {
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 === this.buffer.length) {
          // CR at the end of the chunk: the line is complete, an LF may follow in the next chunk.
          this.pendingCr = true;
          next = cr + 1;
        } else next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      this.line(this.buffer.slice(start, end), onEvent);
      start = next;
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
  }

  private line(line: string, onEvent: (event: SseEvent) => void): void {
    if (line === '') {
      if (this.data.length > 0) {
        const event: SseEvent = { data: this.data.join('\n') };
        if (this.id !== undefined) event.id = this.id;
        if (this.event !== undefined) event.event = this.event;
        this.data = [];
        this.event = undefined;
        onEvent(event);
      } else {
        // An event without data (the priming event) still moves the last event id.
        if (this.id !== undefined) onEvent({ id: this.id, data: '' });
        this.event = undefined;
      }
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'event':
        this.event = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }
}
