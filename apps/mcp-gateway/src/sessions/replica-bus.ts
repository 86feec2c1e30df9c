import { randomBytes } from 'node:crypto';
import type { HotStore } from '@airlock/redis';
import type { JsonRpcMessage } from '@airlock/mcp-protocol';

/** A message a non-home replica hands to the session's home, with the stream its answers go to. */
export interface ForwardedMessage {
  tenant: string;
  sessionId: string;
  /** The stream the answers to requests are appended to; absent for notifications and responses. */
  streamId?: string;
  /** One message, or a 2025-03-26 batch, in order. */
  messages: JsonRpcMessage[];
  grantedScopes: string[];
  /**
   * The request's access token, only when a hosted server uses token exchange (the home needs a current
   * user token to trade); it travels on the internal channel and is never sent to an upstream.
   */
  bearer?: string;
}

/**
 * Replica identity and the channel through which other replicas reach the one that holds a session's
 * upstream connections. Liveness is a hot-store key refreshed while the process runs: a session whose
 * home stopped refreshing is dead (404, the client re-initializes) rather than half alive.
 */
export class ReplicaBus {
  readonly replicaId = randomBytes(9).toString('base64url');
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly hot: HotStore,
    private readonly options: { heartbeatMs: number } = { heartbeatMs: 5_000 },
  ) {}

  async start(onMessage: (forwarded: ForwardedMessage) => void): Promise<void> {
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch(() => undefined), this.options.heartbeatMs);
    this.heartbeat.unref();
    this.unsubscribe = await this.hot.subscribe(`gw:replica:${this.replicaId}`, (raw) => onMessage(JSON.parse(raw) as ForwardedMessage));
  }

  private beat(): Promise<boolean> {
    return this.hot.set(`gw:replica-alive:${this.replicaId}`, '1', { ttlMs: this.options.heartbeatMs * 3 });
  }

  async isAlive(replicaId: string): Promise<boolean> {
    return replicaId === this.replicaId || (await this.hot.get(`gw:replica-alive:${replicaId}`)) !== null;
  }

  async forward(home: string, forwarded: ForwardedMessage): Promise<void> {
    await this.hot.publish(`gw:replica:${home}`, JSON.stringify(forwarded));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.unsubscribe?.();
    await this.hot.del(`gw:replica-alive:${this.replicaId}`);
  }
}
