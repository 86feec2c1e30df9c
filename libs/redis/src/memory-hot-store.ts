import type { HotStore, SubscribeOptions } from './hot-store.js';
import { HotStoreUnavailableError } from './hot-store-errors.js';
import { globToRegExp } from './glob.js';
import { invalidStreamIdError, parseStreamId } from './stream-id.js';
import type { StreamId } from './stream-id.js';

type Entry =
  | { type: 'string'; value: string; expiresAt?: number }
  | { type: 'set'; members: Set<string>; expiresAt?: number }
  | { type: 'stream'; entries: Array<{ id: string; ms: number; seq: number; data: string }>; last: StreamId; expiresAt?: number };

type Listener = (message: string) => void;

export interface MemoryHotStoreHubOptions {
  /** How often expired keys are swept (they are also dropped lazily on access). */
  sweepIntervalMs?: number;
  /** The clock; tests of expiry may pass a fake one. */
  now?: () => number;
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/**
 * The state an in-process "Redis" holds: keys with TTLs and pub/sub channels. Each `client()` is what one
 * replica's connection would be, so two clients of one hub behave like two processes on one Redis
 * (tests of cross-replica behaviour in the embedded mode use this).
 */
export class MemoryHotStoreHub {
  private readonly data = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<Listener>>();
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryHotStoreHubOptions = {}) {
    this.now = options.now ?? Date.now;
    // Unref'd: an idle store must never keep the process alive.
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 1000);
    this.sweeper.unref();
  }

  client(options: { keyPrefix?: string } = {}): HotStore {
    return new MemoryHotStore(this, options.keyPrefix ?? '');
  }

  /** Stops the expiry sweeper; the hub's data stays readable by clients still open. */
  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Number of live keys (for tests of the sweeper). */
  size(): number {
    this.sweep();
    return this.data.size;
  }

  // The rest is the "server": called by clients, synchronous, so each operation is atomic.

  /** @internal */
  time(): number {
    return this.now();
  }

  /** @internal Looks a key up, dropping it when expired (lazy expiry). */
  lookup(key: string): Entry | undefined {
    const entry = this.data.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry;
  }

  /** @internal */
  typed<T extends Entry['type']>(key: string, type: T): Extract<Entry, { type: T }> | undefined {
    const entry = this.lookup(key);
    if (entry && entry.type !== type) throw new Error(WRONGTYPE);
    return entry as Extract<Entry, { type: T }> | undefined;
  }

  /** @internal */
  put(key: string, entry: Entry): void {
    this.data.set(key, entry);
  }

  /** @internal */
  remove(key: string): boolean {
    return this.lookup(key) !== undefined && this.data.delete(key);
  }

  /** @internal */
  keys(): IterableIterator<string> {
    this.sweep();
    return this.data.keys();
  }

  /** @internal Delivers on a later turn of the event loop, like a message arriving from the network. */
  publish(channel: string, message: string): void {
    const listeners = this.channels.get(channel);
    if (!listeners || listeners.size === 0) return;
    for (const listener of [...listeners]) {
      setImmediate(() => {
        // A listener that unsubscribed in the meantime no longer receives anything.
        if (!this.channels.get(channel)?.has(listener)) return;
        try {
          listener(message);
        } catch {
          // One failing listener must not starve the others; delivery is at most once anyway.
        }
      });
    }
  }

  /** @internal */
  listen(channel: string, listener: Listener): void {
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    listeners.add(listener);
  }

  /** @internal */
  unlisten(channel: string, listener: Listener): void {
    const listeners = this.channels.get(channel);
    listeners?.delete(listener);
    if (listeners?.size === 0) this.channels.delete(channel);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.data) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.data.delete(key);
  }
}

/** An in-process hot store with its own hub; closing it stops the hub's sweeper. */
export function createMemoryHotStore(options: { keyPrefix?: string; hub?: MemoryHotStoreHub } = {}): HotStore {
  if (options.hub) return options.hub.client(options);
  const hub = new MemoryHotStoreHub();
  return new MemoryHotStore(hub, options.keyPrefix ?? '', () => hub.close());
}

class MemoryHotStore implements HotStore {
  private readonly subscriptions = new Set<{ channel: string; listener: Listener }>();
  private closed = false;

  constructor(
    private readonly hub: MemoryHotStoreHub,
    private readonly prefix: string,
    private readonly onClose?: () => void,
  ) {}

  /** Every operation runs after an await, as a network call would: callers never see a synchronous result. */
  private async op<T>(operation: () => T): Promise<T> {
    await Promise.resolve();
    if (this.closed) throw new HotStoreUnavailableError('the store is closed');
    return operation();
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  private expiry(ttlMs: number): number {
    return this.hub.time() + positiveTtl(ttlMs);
  }

  get(key: string): Promise<string | null> {
    return this.op(() => this.hub.typed(this.key(key), 'string')?.value ?? null);
  }

  mget(keys: string[]): Promise<Array<string | null>> {
    // MGET answers nil for a key of another type instead of failing.
    return this.op(() =>
      keys.map((key) => {
        const entry = this.hub.lookup(this.key(key));
        return entry?.type === 'string' ? entry.value : null;
      }),
    );
  }

  set(key: string, value: string, options: { ttlMs?: number; onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    return this.op(() => {
      const k = this.key(key);
      const expiresAt = options.ttlMs === undefined ? undefined : this.expiry(options.ttlMs);
      if (options.onlyIfAbsent && this.hub.lookup(k)) return false;
      // Like SET without KEEPTTL: a plain SET clears any previous TTL.
      this.hub.put(k, { type: 'string', value, expiresAt });
      return true;
    });
  }

  getDel(key: string): Promise<string | null> {
    return this.op(() => {
      const k = this.key(key);
      const entry = this.hub.typed(k, 'string');
      if (!entry) return null;
      this.hub.remove(k);
      return entry.value;
    });
  }

  del(...keys: string[]): Promise<number> {
    return this.op(() => keys.reduce((removed, key) => removed + (this.hub.remove(this.key(key)) ? 1 : 0), 0));
  }

  expire(key: string, ttlMs: number): Promise<boolean> {
    return this.op(() => {
      const expiresAt = this.expiry(ttlMs);
      const entry = this.hub.lookup(this.key(key));
      if (!entry) return false;
      entry.expiresAt = expiresAt;
      return true;
    });
  }

  pttl(key: string): Promise<number> {
    return this.op(() => {
      const entry = this.hub.lookup(this.key(key));
      if (!entry) return -2;
      return entry.expiresAt === undefined ? -1 : entry.expiresAt - this.hub.time();
    });
  }

  incr(key: string, ttlMs: number): Promise<number> {
    return this.op(() => this.incrNow(key, this.expiry(ttlMs)));
  }

  incrMany(entries: Array<{ key: string; ttlMs: number; by?: number }>): Promise<number[]> {
    for (const entry of entries) {
      if (entry.by !== undefined && (!Number.isSafeInteger(entry.by) || entry.by < 1)) return Promise.reject(new RangeError(`invalid increment: ${String(entry.by)}`));
    }
    return this.op(() => {
      // Validate every TTL first so a bad entry changes nothing (Redis refuses the whole MULTI too).
      const expiries = entries.map((entry) => this.expiry(entry.ttlMs));
      return entries.map((entry, i) => this.incrNow(entry.key, expiries[i] as number, entry.by ?? 1));
    });
  }

  private incrNow(key: string, expiresAt: number, by = 1): number {
    const k = this.key(key);
    const entry = this.hub.typed(k, 'string');
    if (!entry) {
      this.hub.put(k, { type: 'string', value: String(by), expiresAt });
      return by;
    }
    if (!/^-?\d+$/.test(entry.value) || !Number.isSafeInteger(Number(entry.value))) throw new Error('ERR value is not an integer or out of range');
    const next = Number(entry.value) + by;
    entry.value = String(next);
    entry.expiresAt ??= expiresAt;
    return next;
  }

  setMany(entries: Array<{ key: string; value: string; ttlMs?: number }>): Promise<void> {
    return this.op(() => {
      const expiries = entries.map((entry) => (entry.ttlMs === undefined ? undefined : this.expiry(entry.ttlMs)));
      entries.forEach((entry, i) => this.hub.put(this.key(entry.key), { type: 'string', value: entry.value, expiresAt: expiries[i] }));
    });
  }

  expireMany(entries: Array<{ key: string; ttlMs: number }>): Promise<void> {
    return this.op(() => {
      const expiries = entries.map((entry) => this.expiry(entry.ttlMs));
      entries.forEach((entry, i) => {
        const found = this.hub.lookup(this.key(entry.key));
        if (found) found.expiresAt = expiries[i];
      });
    });
  }

  scan(pattern: string): Promise<string[]> {
    return this.op(() => {
      const matcher = globToRegExp(pattern);
      const found: string[] = [];
      for (const key of this.hub.keys()) {
        if (!key.startsWith(this.prefix)) continue;
        const logical = key.slice(this.prefix.length);
        if (matcher.test(logical)) found.push(logical);
      }
      return found;
    });
  }

  sadd(key: string, members: string[], ttlMs?: number): Promise<void> {
    return this.op(() => {
      if (members.length === 0) return;
      const k = this.key(key);
      const expiresAt = ttlMs === undefined ? undefined : this.expiry(ttlMs);
      let entry = this.hub.typed(k, 'set');
      if (!entry) this.hub.put(k, (entry = { type: 'set', members: new Set() }));
      for (const member of members) entry.members.add(member);
      if (expiresAt !== undefined) entry.expiresAt = expiresAt;
    });
  }

  srem(key: string, members: string[]): Promise<void> {
    return this.op(() => {
      const k = this.key(key);
      const entry = this.hub.typed(k, 'set');
      if (!entry) return;
      for (const member of members) entry.members.delete(member);
      // Redis deletes a set when its last member goes.
      if (entry.members.size === 0) this.hub.remove(k);
    });
  }

  smembers(key: string): Promise<string[]> {
    return this.op(() => [...(this.hub.typed(this.key(key), 'set')?.members ?? [])]);
  }

  xadd(stream: string, data: string, options: { maxLen: number; ttlMs: number; id?: string }): Promise<string> {
    const explicit = options.id === undefined ? undefined : parseStreamId(options.id);
    if (explicit === null) return Promise.reject(invalidStreamIdError(options.id!));
    return this.op(() => {
      const k = this.key(stream);
      const expiresAt = this.expiry(options.ttlMs);
      let entry = this.hub.typed(k, 'stream');
      if (explicit && entry && (explicit.ms < entry.last.ms || (explicit.ms === entry.last.ms && explicit.seq <= entry.last.seq))) {
        throw new Error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
      }
      if (explicit && explicit.ms === 0 && explicit.seq === 0) throw new Error('ERR The ID specified in XADD must be greater than 0-0');
      if (!entry) this.hub.put(k, (entry = { type: 'stream', entries: [], last: { ms: 0, seq: 0 } }));
      // Same id scheme as Redis: milliseconds, then a sequence within the millisecond; never goes back.
      const now = this.hub.time();
      const id = explicit ?? (now > entry.last.ms ? { ms: now, seq: 0 } : { ms: entry.last.ms, seq: entry.last.seq + 1 });
      entry.last = id;
      const text = `${id.ms}-${id.seq}`;
      entry.entries.push({ id: text, ms: id.ms, seq: id.seq, data });
      const maxLen = Math.max(1, Math.floor(options.maxLen));
      if (entry.entries.length > maxLen) entry.entries.splice(0, entry.entries.length - maxLen);
      entry.expiresAt = expiresAt;
      return text;
    });
  }

  async xaddMany(stream: string, entries: Array<{ id: string; data: string }>, options: { maxLen: number; ttlMs: number }): Promise<void> {
    const bad = entries.find((entry) => parseStreamId(entry.id) === null);
    if (bad) throw invalidStreamIdError(bad.id);
    // As one MULTI on Redis: every entry is tried, and the call fails when any was refused.
    const results = await Promise.allSettled(entries.map((entry) => this.xadd(stream, entry.data, { ...options, id: entry.id })));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  xrangeAfter(stream: string, afterId: string, count: number): Promise<Array<{ id: string; data: string }>> {
    const after = parseStreamId(afterId);
    if (!after) return Promise.reject(invalidStreamIdError(afterId));
    return this.op(() => {
      const entries = this.hub.typed(this.key(stream), 'stream')?.entries ?? [];
      if (count <= 0) return [];
      // Entries are in id order: binary search for the first one after `after`.
      let low = 0;
      let high = entries.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        const e = entries[mid] as { ms: number; seq: number };
        if (e.ms < after.ms || (e.ms === after.ms && e.seq <= after.seq)) low = mid + 1;
        else high = mid;
      }
      return entries.slice(low, low + count).map(({ id, data }) => ({ id, data }));
    });
  }

  publish(channel: string, message: string): Promise<void> {
    return this.op(() => this.hub.publish(this.key(channel), message));
  }

  // An in-process subscription never loses its connection, so `onResubscribed` never runs.
  subscribe(channel: string, onMessage: (message: string) => void, _options?: SubscribeOptions): Promise<() => Promise<void>> {
    return this.op(() => {
      const subscription = { channel: this.key(channel), listener: (message: string) => onMessage(message) };
      this.hub.listen(subscription.channel, subscription.listener);
      this.subscriptions.add(subscription);
      return async () => {
        if (!this.subscriptions.delete(subscription)) return;
        this.hub.unlisten(subscription.channel, subscription.listener);
      };
    });
  }

  ping(): Promise<void> {
    return this.op(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.subscriptions) this.hub.unlisten(subscription.channel, subscription.listener);
    this.subscriptions.clear();
    this.onClose?.();
  }
}

function positiveTtl(ttlMs: number): number {
  const ttl = Math.ceil(ttlMs);
  if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`TTL must be a positive number of milliseconds, got ${ttlMs}`);
  return ttl;
}
