import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
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
  const write = (chunk: string) => {
    if (!stopped) (response as ServerResponse).write(chunk);
  };
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), options.keepAliveMs);
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
      write(`retry: ${retryMs}\n\n`);
      if (!stopped) response.end();
      stop();
    },
    done,
  };
}
