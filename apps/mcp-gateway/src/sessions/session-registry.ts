import { randomBytes } from 'node:crypto';
import type { HotStore } from '@airlock/redis';

/** Which endpoint a session was opened on: the tenant's aggregate, or one hosted server. */
export type EndpointTarget = { kind: 'aggregated' } | { kind: 'server'; server: string };

export interface GatewaySession {
  id: string;
  tenant: string;
  subject: string;
  clientId: string;
  grantId?: string | undefined;
  target: EndpointTarget;
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  /** The replica that holds the upstream connections; others forward to it. */
  home: string;
  createdAt: string;
}

export interface SessionRegistryOptions {
  idleTimeoutMs: number;
}

const ENDED_CHANNEL = 'gw:session-ended';

/**
 * The gateway's MCP sessions, shared by every replica through the hot store. A session id is 192 random
 * bits; the record binds it to the subject and client that created it. This is the seam where the session
 * store's client (libs/session-client) plugs in once it exists: the gateway needs only create, find,
 * touch and end.
 */
export class SessionRegistry {
  constructor(
    private readonly hot: HotStore,
    private readonly options: SessionRegistryOptions,
  ) {}

  private key(id: string): string {
    return `gw:session:${id}`;
  }

  async create(fields: Omit<GatewaySession, 'id' | 'createdAt'>): Promise<GatewaySession> {
    const session: GatewaySession = { ...fields, id: randomBytes(24).toString('base64url'), createdAt: new Date().toISOString() };
    await this.hot.set(this.key(session.id), JSON.stringify(session), { ttlMs: this.options.idleTimeoutMs, onlyIfAbsent: true });
    return session;
  }

  async find(id: string): Promise<GatewaySession | undefined> {
    if (!/^[A-Za-z0-9_-]{32}$/.test(id)) return undefined;
    const raw = await this.hot.get(this.key(id));
    return raw ? (JSON.parse(raw) as GatewaySession) : undefined;
  }

  async touch(id: string): Promise<void> {
    await this.hot.expire(this.key(id), this.options.idleTimeoutMs);
  }

  /** Ends a session everywhere; the home replica hears it and closes the upstream sessions. */
  async end(id: string, reason: string): Promise<boolean> {
    const removed = (await this.hot.del(this.key(id))) > 0;
    await this.hot.publish(ENDED_CHANNEL, JSON.stringify({ id, reason }));
    return removed;
  }

  async onEnded(listener: (id: string, reason: string) => void): Promise<() => Promise<void>> {
    return this.hot.subscribe(ENDED_CHANNEL, (message) => {
      const parsed = JSON.parse(message) as { id: string; reason: string };
      listener(parsed.id, parsed.reason);
    });
  }
}
