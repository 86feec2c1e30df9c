import { Scopes, SESSION_EVENTS_CHANNEL, sessionEndedEventSchema, sessionSchema, sessionStoreAudience, stateHandleKey, stateHandleSchema, touchSessionsResponseSchema } from '@airlock/contracts';
import type { Session, StateHandle, UpdateSessionRequest } from '@airlock/contracts';
import type { z } from 'zod';
import type { createSessionRequestSchema } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { parseHotSession, sessionRecordKey, sessionSeenKey } from './session-hot-format.js';
import { ServiceTokens, SessionStoreClientError } from './service-token.js';
import { SessionStoreApi } from './session-store-api.js';
import { parseStateHandle, stateHandleRecordKey } from './state-handle-format.js';

export type CreateSessionInput = z.input<typeof createSessionRequestSchema>;

export interface SessionClientOptions {
  /** SESSION_STORE_URL: where the API is, and (through sessionStoreAudience) the tokens' audience. */
  sessionStoreUrl: string;
  /** AUTH_PUBLIC_URL, or an internal URL of the auth server, for the tenants' token endpoints. */
  tokenBaseUrl: string;
  /** The master key the service client's secret is derived from (the auth server derives the same). */
  masterKey: Buffer;
  /** The same hot store the session store writes (reads of live records go straight to it). */
  hot: HotStore;
  clientId?: string;
  fetch?: typeof globalThis.fetch;
  /** Longest time a cached session is served without looking at the hot store again. */
  cacheTtlMs?: number;
  maxCachedSessions?: number;
  /** Touches are coalesced per session and sent once per this period, one request per tenant. */
  touchFlushMs?: number;
  onError?: (error: unknown) => void;
}

export interface SessionClient {
  /** Subscribes to session events (evictions); call before serving. */
  start(): Promise<void>;
  create(tenant: string, request: CreateSessionInput): Promise<Session>;
  /** The live session or null. From the process cache, else one hot-store round trip; never HTTP. */
  get(tenant: string, id: string): Promise<Session | null>;
  /** Records use; sent in a batch within `touchFlushMs`. */
  touch(tenant: string, id: string): void;
  update(tenant: string, id: string, patch: UpdateSessionRequest): Promise<Session | null>;
  /** Ends a session; false when it was not live. */
  revoke(tenant: string, id: string, reason?: string): Promise<boolean>;
  /** Sends pending touches now. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** State handles (single-use, never cached in process). */
  stateHandles: StateHandleClient;
}

/**
 * The gateway's state handles in the session store, keyed by tenant, subject and handle. Writes go
 * through the API; `get` reads the hot store directly (one round trip).
 */
export interface StateHandleClient {
  /** Stores a new handle until its `expiresAt`; throws `conflict` when the handle exists. */
  put(record: StateHandle): Promise<void>;
  /** The live handle or null (another subject's or tenant's handle is null too). */
  get(tenant: string, subject: string, handle: string): Promise<StateHandle | null>;
  /** Deletes the handle and returns it; null when it was not live (expired, or consumed by another retry). */
  consume(tenant: string, subject: string, handle: string): Promise<StateHandle | null>;
}

interface CacheEntry {
  session: Session;
  until: number;
}

/**
 * The gateway's client of the session store. Reads go straight to the hot store the session store
 * writes (one round trip, and usually none: live sessions are cached in process and evicted by the
 * store's `session.revoked` / `session.expired` events, which reach every replica within a second).
 * Writes (create, touch, update, revoke) go through the store's API with a client_credentials token, so
 * the store stays the only writer of sessions and their history.
 */
export function createSessionClient(options: SessionClientOptions): SessionClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const clientId = options.clientId ?? ServiceClients.gateway;
  const cacheTtlMs = options.cacheTtlMs ?? 5_000;
  const maxCached = options.maxCachedSessions ?? 10_000;
  const tokens = new ServiceTokens({
    tokenBaseUrl: options.tokenBaseUrl,
    clientId,
    clientSecretFor: (tenant) => deriveServiceClientSecret(options.masterKey, clientId, tenant),
    audience: sessionStoreAudience(options.sessionStoreUrl),
    scope: `${Scopes.sessionsRead} ${Scopes.sessionsWrite}`,
    fetch: fetchImpl,
  });
  const api = new SessionStoreApi({ sessionStoreUrl: options.sessionStoreUrl, tokens, fetch: fetchImpl });
  const call = (tenant: string, method: string, path: string, body?: unknown, resource?: string) => api.call(tenant, method, path, body, resource);
  const failure = (response: Response) => api.failure(response);
  const cache = new Map<string, CacheEntry>();
  const pendingTouches = new Map<string, Set<string>>();
  let unsubscribe: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const keyOf = (tenant: string, id: string) => `${tenant}\u0000${id}`;

  function remember(session: Session): void {
    const key = keyOf(session.tenant, session.id);
    cache.delete(key);
    cache.set(key, { session, until: Math.min(Date.now() + cacheTtlMs, Date.parse(session.expiresAt)) });
    if (cache.size > maxCached) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
  }

  async function flushTouches(): Promise<void> {
    flushing = flushing.then(async () => {
      const batches = [...pendingTouches];
      pendingTouches.clear();
      await Promise.all(
        batches.map(async ([tenant, idSet]) => {
          const ids = [...idSet];
          for (let start = 0; start < ids.length; start += 500) {
            const chunk = ids.slice(start, start + 500);
            try {
              const response = await call(tenant, 'POST', '/touch', { ids: chunk });
              if (!response.ok) throw await failure(response);
              const live = new Set(touchSessionsResponseSchema.parse(await response.json()).live);
              for (const id of chunk) if (!live.has(id)) cache.delete(keyOf(tenant, id));
            } catch (error) {
              options.onError?.(error);
            }
          }
        }),
      );
    });
    return flushing;
  }

  return {
    async start() {
      if (unsubscribe) return;
      // Evictions arrive by pub/sub, which loses what is published while the subscription is down. Two
      // guards: once resubscribed after a connection loss (however short), drop the cache, which may hold
      // sessions ended in the gap or read back before the subscription was; and while the hot store is
      // unreachable, forget everything (reads then fail closed until it is back, like the store's own).
      unsubscribe = await options.hot.subscribe(
        SESSION_EVENTS_CHANNEL,
        (message) => {
          try {
            const event = sessionEndedEventSchema.parse(JSON.parse(message));
            cache.delete(keyOf(event.tenant, event.sessionId));
          } catch (error) {
            options.onError?.(error);
          }
        },
        { onResubscribed: () => cache.clear() },
      );
      timer = setInterval(() => void flushTouches(), options.touchFlushMs ?? 1_000);
      timer.unref();
      heartbeat = setInterval(() => {
        options.hot.ping().catch(() => cache.clear());
      }, 1_000);
      heartbeat.unref();
    },

    async create(tenant, request) {
      const response = await call(tenant, 'POST', '', request);
      if (response.status !== 201) throw await failure(response);
      const session = sessionSchema.parse(await response.json());
      remember(session);
      return session;
    },

    async get(tenant, id) {
      const entry = cache.get(keyOf(tenant, id));
      const now = Date.now();
      if (entry && entry.until > now) return entry.session;
      if (entry) cache.delete(keyOf(tenant, id));
      let values: Array<string | null>;
      try {
        values = await options.hot.mget([sessionRecordKey(tenant, id), sessionSeenKey(tenant, id)]);
      } catch {
        throw new SessionStoreClientError('temporarily_unavailable', 503, 'sessions cannot be read right now');
      }
      const hot = parseHotSession(values[0] ?? null, values[1] ?? null);
      if (!hot || hot.session.tenant !== tenant || Date.parse(hot.session.expiresAt) <= now) return null;
      remember(hot.session);
      return hot.session;
    },

    touch(tenant, id) {
      let ids = pendingTouches.get(tenant);
      if (!ids) pendingTouches.set(tenant, (ids = new Set()));
      ids.add(id);
    },

    async update(tenant, id, patch) {
      const response = await call(tenant, 'PATCH', `/${encodeURIComponent(id)}`, patch);
      if (response.status === 404) {
        cache.delete(keyOf(tenant, id));
        return null;
      }
      if (!response.ok) throw await failure(response);
      const session = sessionSchema.parse(await response.json());
      remember(session);
      return session;
    },

    async revoke(tenant, id, reason) {
      cache.delete(keyOf(tenant, id));
      const response = await call(tenant, 'DELETE', `/${encodeURIComponent(id)}`, reason ? { reason } : {});
      if (response.status === 204) return true;
      if (response.status === 404) return false;
      throw await failure(response);
    },

    flush: flushTouches,

    stateHandles: {
      async put(record) {
        const response = await call(record.tenant, 'POST', '', record, 'state-handles');
        if (response.status !== 201) throw await failure(response);
      },

      async get(tenant, subject, handle) {
        let raw: string | null;
        try {
          raw = await options.hot.get(stateHandleRecordKey(tenant, subject, handle));
        } catch {
          throw new SessionStoreClientError('temporarily_unavailable', 503, 'state handles cannot be read right now');
        }
        const record = parseStateHandle(raw);
        return record && record.tenant === tenant && record.subject === subject && Date.parse(record.expiresAt) > Date.now() ? record : null;
      },

      async consume(tenant, subject, handle) {
        const response = await call(tenant, 'DELETE', `/${encodeURIComponent(stateHandleKey(subject, handle))}`, undefined, 'state-handles');
        if (response.status === 404) return null;
        if (!response.ok) throw await failure(response);
        return stateHandleSchema.parse(await response.json());
      },
    },

    async close() {
      if (timer) clearInterval(timer);
      if (heartbeat) clearInterval(heartbeat);
      timer = undefined;
      heartbeat = undefined;
      await flushTouches();
      const stop = unsubscribe;
      unsubscribe = undefined;
      if (stop) await stop();
      cache.clear();
    },
  };
}
