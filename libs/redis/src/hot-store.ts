/**
 * The hot store: short-lived, fast state shared by every replica (sessions, revoked grants, rate-limit
 * counters, one-time artifacts, SSE event streams, cross-replica events). Redis in production; an
 * in-process stand-in with the same semantics in the embedded default. Services depend on this
 * interface only, never on ioredis.
 *
 * Keys are logical; an implementation may add its own prefix (tests use one per file for isolation), and
 * the prefix applies to stream names and pub/sub channels too. Every TTL is in milliseconds and must be
 * positive (RangeError otherwise, as Redis refuses it).
 *
 * Errors: when the store cannot be reached every call rejects promptly with HotStoreUnavailableError
 * (map it to 503 and fail closed); the store reconnects by itself. Redis's own errors (WRONGTYPE, a
 * non-integer INCR) are passed through unchanged, and the in-process store raises the same ones.
 */
export interface HotStore {
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<Array<string | null>>;
  /** SET with optional TTL; with `onlyIfAbsent` it is SET NX and returns false when the key existed. */
  set(key: string, value: string, options?: { ttlMs?: number; onlyIfAbsent?: boolean }): Promise<boolean>;
  /** Atomic read-and-delete (GETDEL): of many concurrent callers exactly one gets the value. */
  getDel(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  /** Sets a TTL on an existing key; false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Remaining TTL in ms; -1 without TTL, -2 when missing (Redis PTTL semantics). */
  pttl(key: string): Promise<number>;
  /** Atomic INCR; the TTL is set when the key is created (fixed-window counters for rate limits). */
  incr(key: string, ttlMs: number): Promise<number>;
  /**
   * Many `incr` in one round trip (several rate-limit windows per request); counts in entry order. `by`
   * (default 1, a positive integer) adds more than one at once (INCRBY).
   */
  incrMany(entries: Array<{ key: string; ttlMs: number; by?: number }>): Promise<number[]>;
  /** Many SET-with-TTL in one round trip (batched touches). */
  setMany(entries: Array<{ key: string; value: string; ttlMs?: number }>): Promise<void>;
  /** Many EXPIRE in one round trip (batched touches). */
  expireMany(entries: Array<{ key: string; ttlMs: number }>): Promise<void>;
  /** Keys matching a glob pattern (SCAN, never KEYS); for rebuilding caches at start, not the hot path. */
  scan(pattern: string): Promise<string[]>;

  // Sets (indexes such as "sessions of this grant").
  sadd(key: string, members: string[], ttlMs?: number): Promise<void>;
  srem(key: string, members: string[]): Promise<void>;
  smembers(key: string): Promise<string[]>;

  // Append-only streams, for resumable SSE. Ids are `<ms>-<seq>` strings that sort in append order
  // numerically (use compareStreamIds, not string comparison); a malformed id is a RangeError.
  /**
   * XADD with MAXLEN ~ `maxLen`, refreshing the stream's TTL; returns the entry id. `id` (optional) is an
   * explicit entry id, which must be greater than the stream's last one (else the call rejects): a single
   * writer that needs the id before the reply (to pipeline) picks it itself.
   */
  xadd(stream: string, data: string, options: { maxLen: number; ttlMs: number; id?: string }): Promise<string>;
  /**
   * Several entries with explicit ids (increasing, each greater than the stream's last) appended to one
   * stream in one round trip (one MULTI on Redis), then the TTL refreshed. Rejects when any entry was
   * refused (as in a MULTI, the others are still appended).
   */
  xaddMany(stream: string, entries: Array<{ id: string; data: string }>, options: { maxLen: number; ttlMs: number }): Promise<void>;
  /** Entries strictly after `afterId` ('0' for all), oldest first, at most `count`. */
  xrangeAfter(stream: string, afterId: string, count: number): Promise<Array<{ id: string; data: string }>>;

  // Pub/sub across replicas. Delivery is at most once; durable work goes through the queue.
  publish(channel: string, message: string): Promise<void>;
  /**
   * Resolves once the subscription is active; returns a function that unsubscribes. A subscription
   * survives connection losses; `options.onResubscribed` runs once it is active again after one, because
   * messages published meanwhile were lost (a cache fed by this channel should drop what it holds).
   */
  subscribe(channel: string, onMessage: (message: string) => void, options?: SubscribeOptions): Promise<() => Promise<void>>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Called after the subscription was re-established following a connection loss (messages may be missing). */
  onResubscribed?: () => void;
}
