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
  /** The request's token `groups` claim (the call policy's principal). */
  groups?: string[];
  /**
   * The request's access token, only when a hosted server uses token exchange (the home needs a current
   * user token to trade); it travels on the internal channel and is never sent to an upstream.
   */
  bearer?: string;
  /** W3C trace context of the request that sent it (tracing on): the home runs it in that trace. */
  trace?: { traceparent: string; tracestate?: string };
}

/** On the wire: the message with what makes its delivery acknowledged and idempotent. */
interface Envelope {
  /** Same id on every resend: the home processes it once and acknowledges each copy. */
  forwardId: string;
  /** The replica waiting for the acknowledgement. */
  from: string;
  forwarded: ForwardedMessage;
}

interface Ack {
  ack: string;
}

/** Heartbeat values: a serving replica, and one that released its sessions while it finishes shutting down. */
const SERVING = '1';
const RELEASED = 'released';

/** How many delivered forward ids are remembered to drop resends (a resend comes within seconds). */
const SEEN_IDS = 10_000;

/**
 * Replica identity and the channel through which other replicas reach the one that holds a session's
 * upstream connections. Liveness is a hot-store key refreshed while the process runs; a replica that shuts
 * down gracefully first marks it released, so its sessions are adopted by the replica that next sees them.
 *
 * Forwarding is at-least-once with dedupe, so exactly once as the client sees it: pub/sub alone loses a
 * message published while the home's subscriber reconnects, so the home acknowledges each message it
 * takes (on the sender's own channel) and the sender resends with the same id until acknowledged or the
 * home is gone (then it adopts the session). The home keeps the ids it took and only acknowledges a resend.
 */
export class ReplicaBus {
  readonly replicaId = randomBytes(9).toString('base64url');
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private released = false;
  private readonly awaitingAck = new Map<string, () => void>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly hot: HotStore,
    private readonly options: { heartbeatMs: number } = { heartbeatMs: 5_000 },
  ) {}

  async start(onMessage: (forwarded: ForwardedMessage) => void): Promise<void> {
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch(() => undefined), this.options.heartbeatMs);
    this.heartbeat.unref();
    this.unsubscribe = await this.hot.subscribe(`gw:replica:${this.replicaId}`, (raw) => this.receive(JSON.parse(raw) as Envelope | Ack, onMessage));
  }

  private receive(message: Envelope | Ack, onMessage: (forwarded: ForwardedMessage) => void): void {
    if ('ack' in message) {
      this.awaitingAck.get(message.ack)?.();
      return;
    }
    // Released: not acknowledged, so the sender adopts the session.
    if (this.released) return;
    if (!this.seen.has(message.forwardId)) {
      this.remember(message.forwardId);
      onMessage(message.forwarded);
    }
    void this.hot.publish(`gw:replica:${message.from}`, JSON.stringify({ ack: message.forwardId } satisfies Ack)).catch(() => undefined);
  }

  private remember(forwardId: string): void {
    this.seen.add(forwardId);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
  }

  private beat(): Promise<boolean> {
    return this.hot.set(`gw:replica-alive:${this.replicaId}`, this.released ? RELEASED : SERVING, { ttlMs: this.options.heartbeatMs * 3 });
  }

  /** Whether a replica still runs (it may have released its sessions; parked 2026 calls still finish there). */
  async isAlive(replicaId: string): Promise<boolean> {
    return replicaId === this.replicaId || (await this.hot.get(`gw:replica-alive:${replicaId}`)) !== null;
  }

  /** Whether a replica still holds the sessions homed on it: false once it released them or stopped. */
  async holdsSessions(replicaId: string): Promise<boolean> {
    if (replicaId === this.replicaId) return !this.released;
    return (await this.hot.get(`gw:replica-alive:${replicaId}`)) === SERVING;
  }

  /**
   * One winner among the replicas that found a session's home gone: true for the first caller only (a
   * claim per previous home, so a session can be adopted again after its next home goes too).
   */
  async claim(sessionId: string, previousHome: string): Promise<boolean> {
    return this.hot.set(`gw:session-claim:${sessionId}:${previousHome}`, this.replicaId, { ttlMs: 60_000, onlyIfAbsent: true });
  }

  /** Sends one message id to `home`; true once acknowledged within `ackTimeoutMs`, false otherwise (send again with the same id). */
  async forward(home: string, forwardId: string, forwarded: ForwardedMessage, ackTimeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const acked = new Promise<boolean>((resolve) => {
      this.awaitingAck.set(forwardId, () => resolve(true));
      timer = setTimeout(() => resolve(false), ackTimeoutMs);
    });
    try {
      const envelope: Envelope = { forwardId, from: this.replicaId, forwarded };
      // A publish that fails (the connection is down) is one more unacknowledged attempt.
      await this.hot.publish(`gw:replica:${home}`, JSON.stringify(envelope)).catch(() => undefined);
      return await acked;
    } finally {
      clearTimeout(timer);
      this.awaitingAck.delete(forwardId);
    }
  }

  static newForwardId(): string {
    return randomBytes(12).toString('base64url');
  }

  /** Graceful shutdown: from now on this replica takes no forwarded message and others adopt its sessions. */
  async release(): Promise<void> {
    this.released = true;
    await this.beat().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.unsubscribe?.();
    await this.hot.del(`gw:replica-alive:${this.replicaId}`);
  }
}
