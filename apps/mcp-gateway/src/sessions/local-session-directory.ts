import { randomBytes } from 'node:crypto';
import type { HotStore } from '@airlock/redis';
import type { GatewaySession, NewGatewaySession, SessionDirectory } from './session-directory.js';

export const GATEWAY_SESSION_ENDED_CHANNEL = 'gw:session-ended';

/**
 * Sessions kept by the gateway itself in the hot store (standalone gateway, isolated tests). A session id
 * is 192 random bits; the record binds it to the subject and client that created it and expires after
 * the idle timeout.
 */
export class LocalSessionDirectory implements SessionDirectory {
  constructor(
    private readonly hot: HotStore,
    private readonly options: { idleTimeoutMs: number },
  ) {}

  private key(tenant: string, id: string): string {
    return `gw:session:${tenant}:${id}`;
  }

  async start(): Promise<void> {}

  async create({ upstreams: _upstreams, ...fields }: NewGatewaySession): Promise<GatewaySession> {
    const session: GatewaySession = { ...fields, id: randomBytes(24).toString('base64url'), createdAt: new Date().toISOString() };
    await this.hot.set(this.key(session.tenant, session.id), JSON.stringify(session), { ttlMs: this.options.idleTimeoutMs, onlyIfAbsent: true });
    return session;
  }

  async find(tenant: string, id: string, _options?: { fresh?: boolean }): Promise<GatewaySession | undefined> {
    if (!/^[A-Za-z0-9_-]{32}$/.test(id)) return undefined;
    const raw = await this.hot.get(this.key(tenant, id));
    return raw ? (JSON.parse(raw) as GatewaySession) : undefined;
  }

  async rehome(session: GatewaySession, home: string): Promise<void> {
    await this.hot.set(this.key(session.tenant, session.id), JSON.stringify({ ...session, home }), { ttlMs: this.options.idleTimeoutMs });
  }

  async touch(session: GatewaySession): Promise<void> {
    await this.hot.expire(this.key(session.tenant, session.id), this.options.idleTimeoutMs);
  }

  async end(tenant: string, id: string, reason: string): Promise<void> {
    await this.hot.del(this.key(tenant, id));
    await this.hot.publish(GATEWAY_SESSION_ENDED_CHANNEL, JSON.stringify({ id, reason }));
  }

  async onEnded(listener: (id: string) => void, onMissed?: () => void): Promise<() => Promise<void>> {
    return this.hot.subscribe(GATEWAY_SESSION_ENDED_CHANNEL, (message) => listener((JSON.parse(message) as { id: string }).id), { onResubscribed: onMissed });
  }

  async close(): Promise<void> {}
}
