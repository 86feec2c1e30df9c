import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { HotStore, SubscribeOptions } from './hot-store.js';
import { HotStoreUnavailableError } from './hot-store-errors.js';
import { escapeGlob } from './glob.js';
import { invalidStreamIdError, isStreamId } from './stream-id.js';

export interface RedisHotStoreOptions {
  url: string;
  /** Prepended to every key, stream name and pub/sub channel (tests use one per file). */
  keyPrefix?: string;
  /** How long a command may wait for a connection that is still being established (also the TCP connect timeout). */
  connectTimeoutMs?: number;
  /** A command with no reply after this long fails (a hung server must not hang callers). */
  commandTimeoutMs?: number;
  /** Connection errors (at most one per outage is worth logging); errors are otherwise swallowed. */
  onConnectionError?: (error: Error) => void;
}

/** The one field each stream entry carries. */
const DATA_FIELD = 'd';
const SCAN_COUNT = 500;

function positiveIncrement(by: number | undefined): number {
  if (by === undefined) return 1;
  if (!Number.isSafeInteger(by) || by < 1) throw new RangeError(`invalid increment: ${String(by)}`);
  return by;
}

/**
 * The hot store on Redis (7.0 or later: GETDEL, XRANGE exclusive ranges, PEXPIRE NX). Fails fast while
 * Redis is unreachable (no offline queue, no command retries after a dropped connection: a retried INCR or
 * GETDEL could apply twice) and reconnects by itself in the background.
 */
export function createRedisHotStore(options: RedisHotStoreOptions): HotStore {
  return new RedisHotStore(options);
}

class RedisHotStore implements HotStore {
  private readonly prefix: string;
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  /** Full (prefixed) channel -> handlers. One SUBSCRIBE per channel however many local handlers. */
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly endpoint: string;
  private readonly connectTimeoutMs: number;
  private lastError: Error | undefined;
  private readonly readyWaits = new Map<Redis, Promise<void>>();
  private closed = false;

  constructor(private readonly options: RedisHotStoreOptions) {
    this.prefix = options.keyPrefix ?? '';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    const url = new URL(options.url);
    this.endpoint = `${url.hostname}:${url.port || '6379'}`;
    this.client = this.connect('airlock-hot');
  }

  private connect(connectionName: string): Redis {
    const redisOptions: RedisOptions = {
      connectionName,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: this.options.commandTimeoutMs ?? 2000,
      // Keep trying forever, but never wait more than a second between tries once Redis is back.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    };
    const client = new Redis(this.options.url, redisOptions);
    let reported = false;
    client.on('error', (error: Error) => {
      this.lastError = error;
      if (!reported) this.options.onConnectionError?.(error);
      reported = true;
    });
    client.on('ready', () => {
      reported = false;
    });
    return client;
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /**
   * Runs a command once the connection is usable. A connection still being established is waited for
   * (bounded by the connect timeout); a connection known to be down fails at once.
   */
  private run<T>(client: Redis, command: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new HotStoreUnavailableError('the store is closed'));
    const fail = (error: unknown): never => {
      throw this.translate(error);
    };
    // The hot path (connection ready) adds no await of its own: one promise hop over the bare client.
    if (client.status === 'ready') return command().catch(fail);
    return this.waitForReady(client).then(command).catch(fail);
  }

  private waitForReady(client: Redis): Promise<void> {
    if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'wait') {
      return Promise.reject(this.unavailable());
    }
    // One wait per connection attempt, shared by every caller that arrives meanwhile.
    let waiting = this.readyWaits.get(client);
    if (!waiting) {
      waiting = new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          client.off('error', onError);
          client.off('end', onError);
          this.readyWaits.delete(client);
          if (error) reject(error);
          else resolve();
        };
        const onReady = () => done();
        const onError = (error?: Error) => {
          if (error) this.lastError = error;
          done(this.unavailable());
        };
        const timer = setTimeout(() => done(new HotStoreUnavailableError(`no connection to Redis at ${this.endpoint} within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
        client.once('ready', onReady);
        client.once('error', onError);
        client.once('end', onError);
      });
      this.readyWaits.set(client, waiting);
    }
    return waiting;
  }

  private unavailable(cause?: unknown): HotStoreUnavailableError {
    const reason = cause instanceof Error ? cause.message : this.lastError?.message;
    return new HotStoreUnavailableError(`Redis at ${this.endpoint} is not reachable${reason ? ` (${reason})` : ''}`, { cause: cause ?? this.lastError });
  }

  /** Redis's own reply errors (WRONGTYPE, syntax) pass through; everything else means "not reachable". */
  private translate(error: unknown): Error {
    if (error instanceof Error && error.name === 'ReplyError') return error;
    if (error instanceof HotStoreUnavailableError || error instanceof RangeError) return error;
    return this.unavailable(error);
  }

  /** MULTI/EXEC or a pipeline: the first command error, if any, becomes the call's error. */
  private static results(replies: Array<[Error | null, unknown]> | null): unknown[] {
    if (!replies) throw new Error('transaction aborted');
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  get(key: string): Promise<string | null> {
    return this.run(this.client, () => this.client.get(this.key(key)));
  }

  mget(keys: string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.run(this.client, () => this.client.mget(keys.map((k) => this.key(k))));
  }

  async set(key: string, value: string, options: { ttlMs?: number; onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    const args: Array<string | number> = [];
    if (options.ttlMs !== undefined) args.push('PX', positiveTtl(options.ttlMs));
    if (options.onlyIfAbsent) args.push('NX');
    const reply = await this.run(this.client, () => this.client.call('SET', this.key(key), value, ...args));
    return reply === 'OK';
  }

  getDel(key: string): Promise<string | null> {
    return this.run(this.client, () => this.client.getdel(this.key(key)));
  }

  del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return this.run(this.client, () => this.client.del(...keys.map((k) => this.key(k))));
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const ttl = positiveTtl(ttlMs);
    return (await this.run(this.client, () => this.client.pexpire(this.key(key), ttl))) === 1;
  }

  pttl(key: string): Promise<number> {
    return this.run(this.client, () => this.client.pttl(this.key(key)));
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const k = this.key(key);
    const ttl = positiveTtl(ttlMs);
    // PEXPIRE NX only sets a TTL on a key that has none: the one INCR just created.
    const [count] = await this.run(this.client, async () => RedisHotStore.results(await this.client.multi().incr(k).pexpire(k, ttl, 'NX').exec()));
    return count as number;
  }

  async incrMany(entries: Array<{ key: string; ttlMs: number; by?: number }>): Promise<number[]> {
    if (entries.length === 0) return [];
    const multi = this.client.multi();
    for (const entry of entries) {
      const k = this.key(entry.key);
      const by = positiveIncrement(entry.by);
      (by === 1 ? multi.incr(k) : multi.incrby(k, by)).pexpire(k, positiveTtl(entry.ttlMs), 'NX');
    }
    const results = await this.run(this.client, async () => RedisHotStore.results(await multi.exec()));
    return entries.map((_, i) => results[i * 2] as number);
  }

  async setMany(entries: Array<{ key: string; value: string; ttlMs?: number }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const entry of entries) {
      if (entry.ttlMs === undefined) pipeline.set(this.key(entry.key), entry.value);
      else pipeline.set(this.key(entry.key), entry.value, 'PX', positiveTtl(entry.ttlMs));
    }
    await this.run(this.client, async () => RedisHotStore.results(await pipeline.exec()));
  }

  async expireMany(entries: Array<{ key: string; ttlMs: number }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const entry of entries) pipeline.pexpire(this.key(entry.key), positiveTtl(entry.ttlMs));
    await this.run(this.client, async () => RedisHotStore.results(await pipeline.exec()));
  }

  async scan(pattern: string): Promise<string[]> {
    const match = escapeGlob(this.prefix) + pattern;
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.run(this.client, () => this.client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT));
      cursor = next;
      for (const key of keys) found.add(key.slice(this.prefix.length));
    } while (cursor !== '0');
    return [...found];
  }

  async sadd(key: string, members: string[], ttlMs?: number): Promise<void> {
    if (members.length === 0) return;
    const k = this.key(key);
    const multi = this.client.multi().sadd(k, ...members);
    if (ttlMs !== undefined) multi.pexpire(k, positiveTtl(ttlMs));
    await this.run(this.client, async () => RedisHotStore.results(await multi.exec()));
  }

  async srem(key: string, members: string[]): Promise<void> {
    if (members.length === 0) return;
    await this.run(this.client, () => this.client.srem(this.key(key), ...members));
  }

  smembers(key: string): Promise<string[]> {
    return this.run(this.client, () => this.client.smembers(this.key(key)));
  }

  async xadd(stream: string, data: string, options: { maxLen: number; ttlMs: number; id?: string }): Promise<string> {
    if (options.id !== undefined && !isStreamId(options.id)) throw invalidStreamIdError(options.id);
    const k = this.key(stream);
    const multi = this.client
      .multi()
      .xadd(k, 'MAXLEN', '~', Math.max(1, Math.floor(options.maxLen)), options.id ?? '*', DATA_FIELD, data)
      .pexpire(k, positiveTtl(options.ttlMs));
    const [id] = await this.run(this.client, async () => RedisHotStore.results(await multi.exec()));
    return id as string;
  }

  async xaddMany(stream: string, entries: Array<{ id: string; data: string }>, options: { maxLen: number; ttlMs: number }): Promise<void> {
    if (entries.length === 0) return;
    for (const entry of entries) if (!isStreamId(entry.id)) throw invalidStreamIdError(entry.id);
    const k = this.key(stream);
    const maxLen = Math.max(1, Math.floor(options.maxLen));
    const multi = this.client.multi();
    for (const entry of entries) multi.xadd(k, 'MAXLEN', '~', maxLen, entry.id, DATA_FIELD, entry.data);
    multi.pexpire(k, positiveTtl(options.ttlMs));
    await this.run(this.client, async () => RedisHotStore.results(await multi.exec()));
  }

  async xrangeAfter(stream: string, afterId: string, count: number): Promise<Array<{ id: string; data: string }>> {
    if (!isStreamId(afterId)) throw invalidStreamIdError(afterId);
    if (count <= 0) return [];
    const entries = await this.run(this.client, () => this.client.xrange(this.key(stream), `(${afterId}`, '+', 'COUNT', count));
    return entries.map(([id, fields]) => ({ id, data: fieldValue(fields) }));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(this.client, () => this.client.publish(this.key(channel), message));
  }

  async subscribe(channel: string, onMessage: (message: string) => void, options: SubscribeOptions = {}): Promise<() => Promise<void>> {
    const subscriber = this.subscriberConnection();
    const full = this.key(channel);
    let entry = this.channels.get(full);
    if (!entry) {
      const created: ChannelEntry = { handlers: new Set(), subscribed: this.run(subscriber, () => subscriber.subscribe(full)) };
      entry = created;
      this.channels.set(full, created);
      created.subscribed.catch(() => {
        if (this.channels.get(full) === created) this.channels.delete(full);
      });
    }
    await entry.subscribed;
    // A handler object of its own, so subscribing the same function twice needs two unsubscribes.
    const handler: Handler = { onMessage, onResubscribed: options.onResubscribed };
    entry.handlers.add(handler);
    const subscribed = entry;
    return async () => {
      if (!subscribed.handlers.delete(handler) || subscribed.handlers.size > 0) return;
      if (this.channels.get(full) === subscribed) this.channels.delete(full);
      // Commands on one connection are ordered, so a SUBSCRIBE issued after this one still wins.
      if (!this.closed && subscriber.status === 'ready') await subscriber.unsubscribe(full).catch(() => undefined);
    };
  }

  private subscriberConnection(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.connect('airlock-hot-sub');
    subscriber.on('message', (channel: string, message: string) => {
      const entry = this.channels.get(channel);
      if (!entry) return;
      for (const handler of entry.handlers) {
        try {
          handler.onMessage(message);
        } catch {
          // One failing listener must not starve the others; delivery is at most once anyway.
        }
      }
    });
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) void this.resubscribed(subscriber);
      connectedBefore = true;
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  /**
   * After a reconnect: make sure every channel is subscribed again (ioredis resubscribes too; a second
   * SUBSCRIBE is harmless), then tell the listeners that messages may have been missed.
   */
  private async resubscribed(subscriber: Redis): Promise<void> {
    const channels = [...this.channels.keys()];
    if (channels.length === 0) return;
    try {
      await subscriber.subscribe(...channels);
    } catch {
      return; // lost again; the next 'ready' retries
    }
    for (const channel of channels) {
      for (const handler of this.channels.get(channel)?.handlers ?? []) {
        try {
          handler.onResubscribed?.();
        } catch {
          // a listener's bug must not stop the others from hearing about the gap
        }
      }
    }
  }

  async ping(): Promise<void> {
    await this.run(this.client, () => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    await Promise.all([this.client, this.subscriber].filter((c): c is Redis => c !== undefined).map((c) => quit(c)));
  }
}

interface Handler {
  onMessage: (message: string) => void;
  onResubscribed: (() => void) | undefined;
}

interface ChannelEntry {
  handlers: Set<Handler>;
  subscribed: Promise<unknown>;
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect();
}

function positiveTtl(ttlMs: number): number {
  const ttl = Math.ceil(ttlMs);
  if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`TTL must be a positive number of milliseconds, got ${ttlMs}`);
  return ttl;
}

function fieldValue(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === DATA_FIELD) return fields[i + 1] as string;
  return '';
}
