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

/**
 * Sessions owned by the session store: created, read (cached, evicted by its events), touched and
 * revoked through libs/session-client. A session the store revoked or expired is gone here within the
 * client's eviction delay, and the home replica closes its upstreams when the store's event arrives.
 */
export class SessionStoreDirectory implements SessionDirectory {
  constructor(
    private readonly client: SessionClient,
    private readonly hot: HotStore,
    private readonly options: { idleTimeoutMs: number },
  ) {}

  private metaKey(tenant: string, id: string): string {
    return `gw:session-meta:${tenant}:${id}`;
  }

  start(): Promise<void> {
    return this.client.start();
  }

  async create(fields: NewGatewaySession): Promise<GatewaySession> {
    const session = await this.client.create(fields.tenant, {
      kind: 'mcp',
      subject: fields.subject,
      clientId: fields.clientId,
      ...(fields.grantId ? { grantId: fields.grantId } : {}),
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

  async find(tenant: string, id: string): Promise<GatewaySession | undefined> {
    const [session, rawMeta] = await Promise.all([this.client.get(tenant, id), this.hot.get(this.metaKey(tenant, id))]);
    if (!session || session.kind !== 'mcp' || session.state !== 'active' || !rawMeta) return undefined;
    const meta = JSON.parse(rawMeta) as GatewayMeta;
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

  async touch(session: GatewaySession): Promise<void> {
    this.client.touch(session.tenant, session.id);
    await this.hot.expire(this.metaKey(session.tenant, session.id), this.options.idleTimeoutMs);
  }

  async end(tenant: string, id: string, reason: string): Promise<void> {
    await this.client.revoke(tenant, id, reason).catch(() => false);
    await this.hot.del(this.metaKey(tenant, id));
    // The store announces revocations too; this also covers a store that already forgot the session.
    await this.hot.publish(GATEWAY_SESSION_ENDED_CHANNEL, JSON.stringify({ id, reason }));
  }

  async onEnded(listener: (id: string) => void): Promise<() => Promise<void>> {
    const ours = await this.hot.subscribe(GATEWAY_SESSION_ENDED_CHANNEL, (message) => listener((JSON.parse(message) as { id: string }).id));
    const store = await this.hot.subscribe(SESSION_EVENTS_CHANNEL, (message) => {
      const parsed = sessionEndedEventSchema.safeParse(JSON.parse(message));
      if (parsed.success) listener(parsed.data.sessionId);
    });
    return async () => {
      await ours();
      await store();
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
