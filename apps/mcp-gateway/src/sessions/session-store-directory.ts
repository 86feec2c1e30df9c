import { SESSION_EVENTS_CHANNEL, sessionEndedEventSchema } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import type { SessionClient } from '@airlock/session-client';
import { GATEWAY_SESSION_ENDED_CHANNEL } from './local-session-directory.js';
import type { EndpointTarget, GatewaySession, NewGatewaySession, SessionDirectory } from './session-directory.js';

/** What the session store's model has no field for: kept beside it in the hot store, same lifetime. */
interface GatewayMeta {
  target: EndpointTarget;
  home: string;
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
}

/** How long a session's meta is reused from memory; it never changes, only its existence does. */
const META_CACHE_MS = 5_000;

/**
 * Sessions owned by the session store: created, read (cached, evicted by its events), touched and
 * revoked through libs/session-client. A session the store revoked or expired is gone here within the
 * client's eviction delay, and the home replica closes its upstreams when the store's event arrives.
 */
export class SessionStoreDirectory implements SessionDirectory {
  /** Meta read recently, by session id (spares a hot-store GET per request; evicted when a session ends). */
  private readonly metaCache = new Map<string, { tenant: string; meta: GatewayMeta; until: number }>();
  /** When this replica last pushed out a session's meta TTL, by session id (spares an EXPIRE per request). */
  private readonly refreshedAt = new Map<string, number>();
  private lastSweep = 0;
  private unsubscribe: Array<() => Promise<void>> = [];

  constructor(
    private readonly client: SessionClient,
    private readonly hot: HotStore,
    private readonly options: { idleTimeoutMs: number },
  ) {}

  private metaKey(tenant: string, id: string): string {
    return `gw:session-meta:${tenant}:${id}`;
  }

  /** Refresh a meta key's TTL at most this often, and give it this much slack beyond the idle timeout. */
  private get refreshMs(): number {
    return Math.min(5_000, Math.ceil(this.options.idleTimeoutMs / 10));
  }

  async start(): Promise<void> {
    await this.client.start();
    // Only evictions: a cached meta outlives nothing, since find() also needs the store's live session.
    const forgetAll = () => {
      this.metaCache.clear();
      this.refreshedAt.clear();
    };
    this.unsubscribe.push(
      await this.hot.subscribe(GATEWAY_SESSION_ENDED_CHANNEL, (message) => this.forgetId((JSON.parse(message) as { id: string }).id), { onResubscribed: forgetAll }),
      await this.hot.subscribe(
        SESSION_EVENTS_CHANNEL,
        (message) => {
          const parsed = sessionEndedEventSchema.safeParse(JSON.parse(message));
          if (parsed.success) this.forgetId(parsed.data.sessionId);
        },
        { onResubscribed: forgetAll },
      ),
    );
  }

  private forgetId(id: string): void {
    this.metaCache.delete(id);
    this.refreshedAt.delete(id);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < META_CACHE_MS) return;
    this.lastSweep = now;
    for (const [key, entry] of this.metaCache) if (entry.until <= now) this.metaCache.delete(key);
    for (const [key, at] of this.refreshedAt) if (now - at >= this.refreshMs) this.refreshedAt.delete(key);
  }

  private cachedMeta(tenant: string, id: string): GatewayMeta | undefined {
    const cached = this.metaCache.get(id);
    return cached && cached.tenant === tenant && cached.until > Date.now() ? cached.meta : undefined;
  }

  private async meta(tenant: string, id: string): Promise<GatewayMeta | undefined> {
    const now = Date.now();
    const cached = this.metaCache.get(id);
    if (cached && cached.tenant === tenant && cached.until > now) return cached.meta;
    const raw = await this.hot.get(this.metaKey(tenant, id));
    if (!raw) {
      this.forgetId(id);
      return undefined;
    }
    const meta = JSON.parse(raw) as GatewayMeta;
    this.sweep(now);
    this.metaCache.set(id, { tenant, meta, until: now + META_CACHE_MS });
    return meta;
  }

  async create(fields: NewGatewaySession): Promise<GatewaySession> {
    const session = await this.client.create(fields.tenant, {
      kind: 'mcp',
      subject: fields.subject,
      clientId: fields.clientId,
      ...(fields.grantId ? { grantId: fields.grantId } : {}),
      ...(fields.tokenIssuedAt !== undefined ? { tokenIssuedAt: fields.tokenIssuedAt } : {}),
      protocolVersion: fields.protocolVersion,
      capabilities: fields.clientCapabilities,
      ...(fields.clientInfo ? { clientInfo: fields.clientInfo } : {}),
      upstreams: fields.upstreams.map((server) => ({ server })),
      idleTimeoutSeconds: Math.ceil(this.options.idleTimeoutMs / 1000),
    });
    const meta: GatewayMeta = { target: fields.target, home: fields.home, protocolVersion: fields.protocolVersion, clientCapabilities: fields.clientCapabilities };
    await this.hot.set(this.metaKey(fields.tenant, session.id), JSON.stringify(meta), { ttlMs: this.options.idleTimeoutMs });
    return { ...fields, id: session.id, createdAt: session.createdAt };
  }

  async find(tenant: string, id: string, options: { fresh?: boolean } = {}): Promise<GatewaySession | undefined> {
    // The meta is nearly always in memory: then only the store is asked (no second promise, no array).
    // `fresh` reads it again: its home changes when the session is adopted.
    if (options.fresh) this.metaCache.delete(id);
    let meta = this.cachedMeta(tenant, id);
    let session: Awaited<ReturnType<SessionClient['get']>>;
    if (meta) session = await this.client.get(tenant, id);
    else [session, meta] = await Promise.all([this.client.get(tenant, id), this.meta(tenant, id)]);
    if (!session || session.kind !== 'mcp' || session.state !== 'active' || !meta) return undefined;
    return {
      id: session.id,
      tenant: session.tenant,
      subject: session.subject,
      clientId: session.clientId,
      grantId: session.grantId,
      target: meta.target,
      protocolVersion: meta.protocolVersion,
      clientCapabilities: meta.clientCapabilities,
      clientInfo: session.clientInfo,
      home: meta.home,
      createdAt: session.createdAt,
    };
  }

  async rehome(session: GatewaySession, home: string): Promise<void> {
    const meta: GatewayMeta = { target: session.target, home, protocolVersion: session.protocolVersion, clientCapabilities: session.clientCapabilities };
    await this.hot.set(this.metaKey(session.tenant, session.id), JSON.stringify(meta), { ttlMs: this.options.idleTimeoutMs + this.refreshMs });
    this.metaCache.set(session.id, { tenant: session.tenant, meta, until: Date.now() + META_CACHE_MS });
  }

  async touch(session: GatewaySession): Promise<void> {
    this.client.touch(session.tenant, session.id);
    const now = Date.now();
    const last = this.refreshedAt.get(session.id);
    if (last !== undefined && now - last < this.refreshMs) return;
    this.refreshedAt.set(session.id, now);
    // The slack covers the touches skipped until the next refresh; the store's session still decides liveness.
    await this.hot.expire(this.metaKey(session.tenant, session.id), this.options.idleTimeoutMs + this.refreshMs);
  }

  async end(tenant: string, id: string, reason: string): Promise<void> {
    await this.client.revoke(tenant, id, reason).catch(() => false);
    this.forgetId(id);
    await this.hot.del(this.metaKey(tenant, id));
    // The store announces revocations too; this also covers a store that already forgot the session.
    await this.hot.publish(GATEWAY_SESSION_ENDED_CHANNEL, JSON.stringify({ id, reason }));
  }

  async onEnded(listener: (id: string) => void, onMissed?: () => void): Promise<() => Promise<void>> {
    const ours = await this.hot.subscribe(GATEWAY_SESSION_ENDED_CHANNEL, (message) => listener((JSON.parse(message) as { id: string }).id), { onResubscribed: onMissed });
    const store = await this.hot.subscribe(
      SESSION_EVENTS_CHANNEL,
      (message) => {
        const parsed = sessionEndedEventSchema.safeParse(JSON.parse(message));
        if (parsed.success) listener(parsed.data.sessionId);
      },
      { onResubscribed: onMissed },
    );
    return async () => {
      await ours();
      await store();
    };
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) await unsubscribe();
    this.metaCache.clear();
    this.refreshedAt.clear();
    await this.client.close();
  }
}
