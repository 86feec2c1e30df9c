import { randomBytes } from 'node:crypto';
import type { HotStore } from '@airlock/redis';
import { isStreamId } from '@airlock/redis';
import type { JsonRpcMessage } from '@airlock/mcp-protocol';

/**
 * What one stream entry holds: a message, the priming marker, the end of the stream, or a pause (the
 * upstream closed its stream mid-call, SEP-1699 polling: the client's connection is closed too and it
 * resumes with Last-Event-ID).
 */
export type SseEntry = { kind: 'message'; message: JsonRpcMessage } | { kind: 'priming' } | { kind: 'end' } | { kind: 'pause' };

export interface SseEventLogOptions {
  /** Entries kept per stream (approximate, XADD MAXLEN ~). */
  maxEvents: number;
  /** A stream is forgotten this long after its last event. */
  retentionMs: number;
}

const WAKE_CHANNEL = 'gw:sse-wake';

const STREAM_PREFIX = randomBytes(6).toString('hex');
let streamCounter = 0;

/** A stream attached to a local sink. */
export interface AttachedStream {
  /** Sends the entries appended so far to the log; the sink calls it right before it writes them out. */
  flush(): void;
  /** Back to the shared path (see `attach`). */
  detach(wake: boolean): void;
  /**
   * The stream was answered without event ids (one JSON body): what is pending and what is appended
   * until its end marker is dropped, never sent to the log.
   */
  forget(): void;
}

/** An entry of an attached stream not sent to the log yet (`messageJson`: its message, already serialised). */
interface PendingEntry {
  id: string;
  entry: SseEntry;
  messageJson: string | undefined;
}

function logRecord({ id, entry, messageJson }: PendingEntry): { id: string; data: string } {
  return { id, data: messageJson === undefined ? JSON.stringify(entry) : `{"kind":"message","message":${messageJson}}` };
}

/** The sink of a stream answered without event ids: its remaining entries go nowhere. */
const FORGOTTEN: LocalSink = { deliver: () => undefined, onAppendError: () => undefined };

/**
 * The HTTP response waiting for a stream on this replica (the fast path of a POST on the session's home):
 * entries appended while it is attached are written to it at once, and the log append runs behind it.
 */
export interface LocalSink {
  /** Writes one entry; `messageJson` is the message already serialised (`entry.kind === 'message'`). */
  deliver(eventId: string, entry: SseEntry, messageJson: string | undefined): void;
  /** A pipelined log append failed (the client got the event; a resume will not replay it). */
  onAppendError(error: unknown): void;
}

/**
 * Every SSE event of every session stream, kept in hot-store streams so that any replica can replay or
 * tail it: `gw:sse:<session>:<stream>`. The wire event id is `<stream>_<entry>`: it names its stream, and
 * resolving it always goes through the *requesting* session's key space, so an id from another session
 * (or a forged one) finds nothing to replay.
 */
export class SseEventLog {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly sinks = new Map<string, LocalSink>();
  /** Entries of attached streams not yet sent, by stream key: sent together at the end of the tick. */
  private readonly batches = new Map<string, { entries: PendingEntry[]; sink: LocalSink }>();
  private unsubscribe: (() => Promise<void>) | undefined;
  /** Explicit entry ids of attached streams: increasing within this process (each such stream has one writer). */
  private lastMs = 0;
  private lastSeq = 0;
  /** Pipelined appends not yet confirmed, and who waits for there to be none. */
  private unconfirmed = 0;
  private settledWaiters: Array<() => void> = [];

  constructor(
    private readonly hot: HotStore,
    private readonly options: SseEventLogOptions,
  ) {}

  /**
   * 24 hex digits: a random prefix per process and a counter. Unique, not secret: a stream is only ever
   * looked up inside the key space of the session that asks, whose id is the secret.
   */
  static newStreamId(): string {
    streamCounter += 1;
    return STREAM_PREFIX + streamCounter.toString(16).padStart(12, '0');
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.hot.subscribe(WAKE_CHANNEL, (key) => {
      for (const listener of this.listeners.get(key) ?? []) listener();
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  private key(sessionId: string, streamId: string): string {
    return `gw:sse:${sessionId}:${streamId}`;
  }

  /**
   * Appends and wakes every reader of the stream, on any replica. Returns the wire event id. A stream with
   * a local sink attached is written to the sink at once, after its XADD was issued (not awaited): the
   * command is on the wire before the client can see the event, so a later resume finds it.
   */
  append(sessionId: string, streamId: string, entry: SseEntry): Promise<string> {
    const key = this.key(sessionId, streamId);
    const sink = this.sinks.get(key);
    if (!sink) return this.appendShared(key, streamId, entry);
    const entryId = this.nextEntryId();
    if (sink === FORGOTTEN) {
      if (entry.kind === 'end' || entry.kind === 'pause') this.sinks.delete(key);
      return Promise.resolve(`${streamId}_${entryId}`);
    }
    const messageJson = entry.kind === 'message' ? JSON.stringify(entry.message) : undefined;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { entries: [], sink };
      this.batches.set(key, batch);
    }
    // Sent when the sink writes (it flushes the batch first), so Redis always has an event before the client.
    // Serialised for the log only when sent: an answer that leaves as one JSON body is forgotten unsent.
    batch.entries.push({ id: entryId, entry, messageJson });
    // The last entry of a stream (or of this connection) goes out at once: the sink may end the response now.
    if (entry.kind === 'end' || entry.kind === 'pause') this.flush(key);
    const eventId = `${streamId}_${entryId}`;
    sink.deliver(eventId, entry, messageJson);
    return Promise.resolve(eventId);
  }

  /** Sends the pending entries of one attached stream: one MULTI, its TTL refreshed once. */
  private flush(key: string): void {
    const batch = this.batches.get(key);
    if (!batch) return;
    this.batches.delete(key);
    this.confirm(this.hot.xaddMany(key, batch.entries.map(logRecord), { maxLen: this.options.maxEvents, ttlMs: this.options.retentionMs }), batch.sink);
  }

  private async appendShared(key: string, streamId: string, entry: SseEntry): Promise<string> {
    const entryId = await this.hot.xadd(key, JSON.stringify(entry), { maxLen: this.options.maxEvents, ttlMs: this.options.retentionMs });
    await this.hot.publish(WAKE_CHANNEL, key);
    return `${streamId}_${entryId}`;
  }

  private nextEntryId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else this.lastSeq += 1;
    return `${this.lastMs}-${this.lastSeq}`;
  }

  private confirm(pending: Promise<unknown>, sink: LocalSink): void {
    this.unconfirmed += 1;
    pending.then(
      () => this.confirmed(),
      (error: unknown) => {
        sink.onAppendError(error);
        this.confirmed();
      },
    );
  }

  private confirmed(): void {
    this.unconfirmed -= 1;
    if (this.unconfirmed === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /** Resolves once every pipelined append has been confirmed (or failed): graceful shutdown waits for it. */
  settled(): Promise<void> {
    for (const key of [...this.batches.keys()]) this.flush(key);
    if (this.unconfirmed === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Attaches the HTTP response waiting on a new stream of this replica. Only for a stream nobody else
   * appends to while it is attached (a POST's stream on the session's home), since it picks its own entry
   * ids. Detaching goes back to the shared path (append, then wake); `wake` tells readers
   * elsewhere (a resume on another replica) to look at entries appended while attached, which published
   * no wake-up.
   */
  attach(sessionId: string, streamId: string, sink: LocalSink): AttachedStream {
    const key = this.key(sessionId, streamId);
    this.sinks.set(key, sink);
    return {
      flush: () => this.flush(key),
      detach: (wake) => {
        // Before any append of the shared path, whose automatic ids must come after these.
        this.flush(key);
        if (this.sinks.get(key) !== sink) return;
        this.sinks.delete(key);
        if (wake) this.confirm(this.hot.publish(WAKE_CHANNEL, key), sink);
      },
      forget: () => {
        this.batches.delete(key);
        if (this.sinks.get(key) === sink) this.sinks.set(key, FORGOTTEN);
      },
    };
  }

  async readAfter(sessionId: string, streamId: string, afterEntryId: string, count = 100): Promise<Array<{ eventId: string; entryId: string; entry: SseEntry }>> {
    const rows = await this.hot.xrangeAfter(this.key(sessionId, streamId), afterEntryId, count);
    return rows.map((row) => ({ eventId: `${streamId}_${row.id}`, entryId: row.id, entry: JSON.parse(row.data) as SseEntry }));
  }

  /** True when the stream has at least one entry in this session (so a resume has something to attach to). */
  async exists(sessionId: string, streamId: string): Promise<boolean> {
    return (await this.hot.xrangeAfter(this.key(sessionId, streamId), '0', 1)).length > 0;
  }

  /** Calls `listener` whenever the stream may have new entries; returns the unregister function. */
  onWake(sessionId: string, streamId: string, listener: () => void): () => void {
    const key = this.key(sessionId, streamId);
    const set = this.listeners.get(key) ?? new Set();
    set.add(listener);
    this.listeners.set(key, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  /** Splits a Last-Event-ID into its stream and entry; undefined when it is not one of ours. */
  static parseEventId(eventId: string): { streamId: string; entryId: string } | undefined {
    const match = /^([0-9a-f]{24})_(\d{1,16}-\d{1,16})$/.exec(eventId);
    if (!match || !isStreamId(match[2]!)) return undefined;
    return { streamId: match[1]!, entryId: match[2]! };
  }
}
