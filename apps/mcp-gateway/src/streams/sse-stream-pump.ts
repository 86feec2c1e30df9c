import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { isResponse } from '@airlock/mcp-protocol';
import { SseEventLog } from './sse-event-log.js';

export type RawResponse = ServerResponse | Http2ServerResponse;

export interface PumpOptions {
  log: SseEventLog;
  sessionId: string;
  streamId: string;
  /** Entry id to start after: '0' for a new stream, the Last-Event-ID's entry for a resume. */
  afterEntryId: string;
  /** A Last-Event-ID resume: pauses already in the stream were for the connection that ended. */
  resumed?: boolean;
  /** The `retry` sent with the priming event (ms). */
  retryMs: number;
  keepAliveMs: number;
  /** Called when the pump stops for any reason (client gone, end of stream, shutdown). */
  onStop?: () => void;
  /**
   * The wire id of the new stream's priming event (already in the log): sent by `closeForRetry` when the
   * pump has not written it yet, since a client holding no event id cannot resume and would wait forever.
   */
  primingEventId?: string | undefined;
}

export interface Pump {
  /** Ends the HTTP response after telling the client when to come back (graceful shutdown). */
  closeForRetry(retryMs: number): void;
  readonly done: Promise<void>;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/**
 * Copies one session stream from the event log to an HTTP response: everything after `afterEntryId`, then
 * new entries as they are appended (on this replica or any other), until the end marker, the client
 * leaving, or a shutdown. The response never reads from process memory, so a client can resume on any
 * replica.
 */
export function pumpStream(response: RawResponse, extraHeaders: Record<string, string>, options: PumpOptions): Pump {
  const { log, sessionId, streamId } = options;
  let cursor = options.afterEntryId;
  let stopped = false;
  let wake: (() => void) | undefined;
  let dirty = true;
  const unregister = log.onWake(sessionId, streamId, () => {
    dirty = true;
    wake?.();
  });
  (response as ServerResponse).writeHead(200, { ...SSE_HEADERS, ...extraHeaders });
  (response as ServerResponse).flushHeaders?.();
  let wroteEvent = false;
  const write = (chunk: string) => {
    if (!stopped) (response as ServerResponse).write(chunk);
  };
  const keepAlive = setInterval(() => {
    write(': keep-alive\n\n');
    // Wake-ups are pub/sub (at most once): a lost one is made up for here, at the latest.
    dirty = true;
    wake?.();
  }, options.keepAliveMs);
  keepAlive.unref();

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(keepAlive);
    unregister();
    wake?.();
    options.onStop?.();
    resolveDone();
  };
  response.once('close', stop);

  void (async () => {
    try {
      while (!stopped) {
        if (!dirty) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (dirty || stopped) resolve();
          });
          wake = undefined;
          continue;
        }
        dirty = false;
        const rows = await log.readAfter(sessionId, streamId, cursor);
        if (rows.length === 100) dirty = true;
        for (const row of rows) {
          cursor = row.entryId;
          wroteEvent = true;
          if (row.entry.kind === 'priming') write(`id: ${row.eventId}\nretry: ${options.retryMs}\ndata: \n\n`);
          else if (row.entry.kind === 'message') write(`id: ${row.eventId}\nevent: message\ndata: ${JSON.stringify(row.entry.message)}\n\n`);
          else if (row.entry.kind === 'pause') {
            if (options.resumed) continue;
            if (!stopped) response.end();
            stop();
            return;
          } else {
            if (!stopped) response.end();
            stop();
            return;
          }
        }
      }
    } catch {
      if (!stopped) response.end();
      stop();
    }
  })();

  return {
    closeForRetry(retryMs: number) {
      // Shut down before the first read came back: the client still gets an id to resume from.
      if (!wroteEvent && options.primingEventId) write(`id: ${options.primingEventId}\nretry: ${retryMs}\ndata: \n\n`);
      write(`retry: ${retryMs}\n\n`);
      if (!stopped) response.end();
      stop();
    },
    done,
  };
}

/**
 * The timers of every direct stream of one endpoint: one interval for all keep-alive comments, and one
 * timeout per window for the delayed priming events (a timer per short-lived stream costs more than the
 * stream's own work).
 */
export class DirectStreamTimers {
  private readonly beats = new Set<() => void>();
  private beating: NodeJS.Timeout | undefined;
  /** Registered during the current window: run at the end of the next one (they have waited a full delay by then). */
  private due = new Set<() => void>();
  /** Registered during the previous window: run when the current one ends. */
  private ripe = new Set<() => void>();
  private waiting: NodeJS.Timeout | undefined;

  constructor(private readonly options: { keepAliveMs: number; primingDelayMs: number }) {}

  keepAlive(beat: () => void): () => void {
    this.beats.add(beat);
    if (!this.beating) {
      this.beating = setInterval(() => {
        for (const each of this.beats) each();
      }, this.options.keepAliveMs);
      this.beating.unref();
    }
    return () => this.beats.delete(beat);
  }

  /**
   * Runs `flush` once the priming delay has passed (unless cancelled): between one and two delays later.
   * One shared timer ticks while anything waits; a stream registered just before a tick waits for the next
   * one (with one set per tick, a stream registered just before it was flushed at once, and a quick answer
   * that would have left as one JSON body went out as SSE with its events written to the log).
   */
  later(flush: () => void): void {
    this.due.add(flush);
    this.waiting ??= setTimeout(this.tick, this.options.primingDelayMs);
  }

  private readonly tick = () => {
    const now = this.ripe;
    this.ripe = this.due;
    this.due = new Set();
    for (const each of now) each();
    this.waiting = this.ripe.size > 0 || this.due.size > 0 ? setTimeout(this.tick, this.options.primingDelayMs) : undefined;
  };

  cancel(flush: () => void): void {
    this.due.delete(flush);
    this.ripe.delete(flush);
  }
}

export interface DirectStreamOptions {
  log: SseEventLog;
  sessionId: string;
  streamId: string;
  retryMs: number;
  timers: DirectStreamTimers;
  /**
   * The POST holds exactly one request: an answer that comes before anything else (and before the priming
   * delay) is sent as one JSON body, and never logged.
   */
  answerAsJson: boolean;
  onStop?: () => void;
  onAppendError(error: unknown): void;
}

/**
 * The fast path of `pumpStream` for a new stream whose entries are all appended in this process (a POST
 * on the session's home): each entry is written to the response as it is appended, with no wake-up and no
 * read-back; its log append is sent right before (one MULTI for what is written together). The response
 * type is chosen late: a quick answer to a single request, with nothing before it, leaves as
 * `application/json` and never reaches the log (the client holds no event id, so there is nothing to
 * resume; Redis is spared a write per call). Otherwise the priming event waits a moment
 * (`primingDelayMs`) for company, then the stream is SSE. Once the client is gone, or the stream is closed
 * for a retry or paused, the stream is detached and later entries take the shared path, so a resume on any
 * replica sees them.
 */
export function directStream(response: RawResponse, extraHeaders: Record<string, string>, options: DirectStreamOptions): Pump {
  const raw = response as ServerResponse;
  const chunks: string[] = [];
  let detached = false;
  let closing = false;
  let soonScheduled = false;
  let delayed = false;
  /** No headers written yet. */
  let undecided = true;
  /** Nothing but the priming event so far: the answer may still go out as JSON. */
  let jsonPossible = options.answerAsJson;
  const flush = () => {
    soonScheduled = false;
    if (delayed) {
      delayed = false;
      options.timers.cancel(flush);
    }
    if (undecided) {
      undecided = false;
      jsonPossible = false;
      raw.writeHead(200, { ...SSE_HEADERS, ...extraHeaders });
    }
    // The log first: a client must never hold an event id the log has not been sent.
    attached.flush();
    if (raw.writableEnded || raw.destroyed) {
      chunks.length = 0;
      return;
    }
    const data = chunks.join('');
    chunks.length = 0;
    if (closing) raw.end(data);
    else if (data !== '') raw.write(data);
    else if (!raw.headersSent) raw.flushHeaders();
  };
  const soon = () => {
    if (soonScheduled) return;
    soonScheduled = true;
    process.nextTick(flush);
  };
  const later = () => {
    if (soonScheduled || delayed) return;
    delayed = true;
    options.timers.later(flush);
  };
  // The headers leave with the priming event (or alone, for revisions without one).
  later();
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const removeBeat = options.timers.keepAlive(() => {
    // Before the first write a comment would force the SSE type for nothing.
    if (detached || undecided) return;
    chunks.push(': keep-alive\n\n');
    soon();
  });
  // Ended: the end marker went out, nobody can be waiting for more of this stream.
  const stop = (ended: boolean) => {
    if (detached) return;
    detached = true;
    removeBeat();
    attached.detach(!ended);
    options.onStop?.();
    resolveDone();
  };
  const answerAsJson = (messageJson: string) => {
    undecided = false;
    jsonPossible = false;
    if (delayed) options.timers.cancel(flush);
    // Forgotten first, so stopping sends nothing of the stream to the log.
    attached.forget();
    stop(true);
    if (!raw.writableEnded && !raw.destroyed) {
      // With its length the headers and the body leave as one string in one write (no chunked framing, no writev).
      raw.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(messageJson), ...extraHeaders });
      raw.end(messageJson);
    }
  };
  const attached = options.log.attach(options.sessionId, options.streamId, {
    deliver(eventId, entry, messageJson) {
      if (detached) return;
      if (entry.kind === 'message') {
        const json = messageJson ?? JSON.stringify(entry.message);
        if (jsonPossible && isResponse(entry.message)) return answerAsJson(json);
        jsonPossible = false;
        chunks.push(`id: ${eventId}\nevent: message\ndata: ${json}\n\n`);
        soon();
      } else if (entry.kind === 'priming') {
        chunks.push(`id: ${eventId}\nretry: ${options.retryMs}\ndata: \n\n`);
        later();
      } else {
        // The response ends with what was written before it (pause: the client resumes with Last-Event-ID).
        closing = true;
        soon();
        stop(entry.kind === 'end');
      }
    },
    onAppendError: options.onAppendError,
  });
  response.once('close', () => {
    stop(false);
    if (delayed) options.timers.cancel(flush);
  });
  return {
    closeForRetry(retryMs: number) {
      if (detached) return;
      chunks.push(`retry: ${retryMs}\n\n`);
      closing = true;
      stop(false);
      flush();
    },
    done,
  };
}
