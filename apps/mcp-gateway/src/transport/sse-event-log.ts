import { randomBytes } from 'node:crypto';
import type { HotStore } from '@airlock/redis';
import { isStreamId } from '@airlock/redis';
import type { JsonRpcMessage } from './json-rpc.js';

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

/**
 * Every SSE event of every session stream, kept in hot-store streams so that any replica can replay or
 * tail it: `gw:sse:<session>:<stream>`. The wire event id is `<stream>_<entry>`: it names its stream, and
 * resolving it always goes through the *requesting* session's key space, so an id from another session
 * (or a forged one) finds nothing to replay.
 */
export class SseEventLog {
  private readonly listeners = new Map<string, Set<() => void>>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly hot: HotStore,
    private readonly options: SseEventLogOptions,
  ) {}

  static newStreamId(): string {
    return randomBytes(12).toString('hex');
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

  /** Appends and wakes every reader of the stream, on any replica. Returns the wire event id. */
  async append(sessionId: string, streamId: string, entry: SseEntry): Promise<string> {
    const key = this.key(sessionId, streamId);
    const entryId = await this.hot.xadd(key, JSON.stringify(entry), { maxLen: this.options.maxEvents, ttlMs: this.options.retentionMs });
    await this.hot.publish(WAKE_CHANNEL, key);
    return `${streamId}_${entryId}`;
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
