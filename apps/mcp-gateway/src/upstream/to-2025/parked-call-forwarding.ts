import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { JsonRpcErrorObject, JsonRpcResponseMessage, ModernRequest } from '@airlock/mcp-protocol';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import { GatewayError } from '../../errors/gateway-error.js';
import { errorAnswer } from '../../errors/error-response.js';

/** What a bridged call answers: a JSON-RPC result or error with its HTTP status (the bridge's `BridgeAnswer`). */
export type ForwardedAnswer = { status: number; result: Record<string, unknown> } | { status: number; error: JsonRpcErrorObject };

export type Progress = { progress: number; total?: number; message?: string };

/**
 * A client's retry of a parked call, validated and its handle consumed by the replica that received it,
 * for the replica holding the call (the handle's `owner`) to resume.
 */
export interface ParkedRetry {
  handle: string;
  /** The round the retry answers (the stored handle's `round`). */
  round: number;
  request: ModernRequest;
  caller: { tenant: string; subject: string; clientId: string };
  /** The upstream's awaited JSON-RPC responses, built from the retry's `inputResponses`. */
  replies: JsonRpcResponseMessage[];
  /** The client asked for progress (`progressToken`): the owner sends progress back as it comes. */
  progress: boolean;
  /**
   * The retry's access token, only when the upstream uses token exchange (the owner trades the newest
   * token); it travels on the internal channel only and is never sent upstream.
   */
  bearer?: string;
}

/** The owner's side: resumes the parked call and resolves with its answer (or the next `input_required`). */
export type ParkedRetryHandler = (retry: ParkedRetry, context: { signal: AbortSignal; onProgress?: (progress: Progress) => void }) => Promise<ForwardedAnswer>;

export type ForwardOutcome = { kind: 'answer'; answer: ForwardedAnswer } | { kind: 'owner-gone' } | { kind: 'cancelled' };

export interface ParkedCallForwardingOptions {
  hot: HotStore;
  replicaId: string;
  /** Whether a replica still heart-beats (`ReplicaBus.isAlive`). */
  isAlive: (replicaId: string) => Promise<boolean>;
  logger: Logger;
  /** How long the owner has to confirm it took the retry. */
  ackTimeoutMs?: number;
  /** How often the owner's liveness is checked while its answer is awaited. */
  livenessEveryMs?: number;
}

// Internal wire messages. Inbound (`gw:parked:<owner>`): retry, cancel. Outbound (`gw:parked-reply:<replica>`):
// accepted, progress, answer; all carry the forwarding replica's correlation id.
const toOwnerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('retry'), id: z.string(), from: z.string(), retry: z.custom<ParkedRetry>((value) => typeof value === 'object' && value !== null) }),
  z.object({ type: z.literal('cancel'), id: z.string() }),
]);
const toForwarderSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), id: z.string() }),
  z.object({ type: z.literal('progress'), id: z.string(), progress: z.custom<Progress>((value) => typeof value === 'object' && value !== null) }),
  z.object({ type: z.literal('answer'), id: z.string(), answer: z.custom<ForwardedAnswer>((value) => typeof value === 'object' && value !== null) }),
]);
type ToOwner = z.infer<typeof toOwnerSchema>;
type ToForwarder = z.infer<typeof toForwarderSchema>;

const ownerChannel = (replicaId: string) => `gw:parked:${replicaId}`;
const forwarderChannel = (replicaId: string) => `gw:parked-reply:${replicaId}`;

interface Awaiting {
  accepted: boolean;
  onProgress: ((progress: Progress) => void) | undefined;
  settle(outcome: ForwardOutcome): void;
}

/**
 * Parked calls live in the process that parked them; a retry can reach any replica. The receiving
 * replica validates and consumes the handle, then hands the retry to the owner over pub/sub with a
 * correlation id; the owner confirms at once, resumes the call and publishes progress and the answer
 * back. An owner that does not confirm within `ackTimeoutMs`, or stops heart-beating while the call
 * runs, is gone: the retry fails instead of waiting forever.
 */
export class ParkedCallForwarding {
  private readonly awaiting = new Map<string, Awaiting>();
  private readonly serving = new Map<string, AbortController>();
  private started: Promise<void> | undefined;
  private unsubscribe: Array<() => Promise<void>> = [];
  private handler: ParkedRetryHandler | undefined;
  private closed = false;

  constructor(private readonly options: ParkedCallForwardingOptions) {}

  /** Subscribes both channels (once); a replica must have done so before it parks a call or forwards a retry. */
  start(handler: ParkedRetryHandler): Promise<void> {
    this.handler = handler;
    this.started ??= (async () => {
      try {
        this.unsubscribe.push(await this.options.hot.subscribe(ownerChannel(this.options.replicaId), (raw) => this.fromForwarder(raw)));
        this.unsubscribe.push(await this.options.hot.subscribe(forwarderChannel(this.options.replicaId), (raw) => this.fromOwner(raw)));
      } catch (error) {
        // The hot store is down: the next park or retry tries again.
        await Promise.all(this.unsubscribe.splice(0).map((stop) => stop().catch(() => undefined)));
        this.started = undefined;
        throw error;
      }
    })();
    return this.started;
  }

  isAlive(replicaId: string): Promise<boolean> {
    return this.options.isAlive(replicaId);
  }

  /** Hands a retry to its owner and waits for the answer, the owner's disappearance, or the client leaving. */
  async forward(owner: string, retry: ParkedRetry, context: { signal: AbortSignal; onProgress?: ((progress: Progress) => void) | undefined }): Promise<ForwardOutcome> {
    if (this.closed) return { kind: 'owner-gone' };
    const id = randomUUID();
    const ackTimeoutMs = this.options.ackTimeoutMs ?? 5_000;
    const livenessEveryMs = this.options.livenessEveryMs ?? 5_000;
    let ackTimer: NodeJS.Timeout | undefined;
    let liveness: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const outcome = new Promise<ForwardOutcome>((resolve) => {
      const settle = (result: ForwardOutcome) => {
        if (!this.awaiting.delete(id)) return;
        clearTimeout(ackTimer);
        clearInterval(liveness);
        if (onAbort) context.signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      this.awaiting.set(id, { accepted: false, onProgress: context.onProgress, settle });
      ackTimer = setTimeout(() => {
        if (this.awaiting.get(id)?.accepted === false) settle({ kind: 'owner-gone' });
      }, ackTimeoutMs);
      liveness = setInterval(() => {
        void this.options.isAlive(owner).then(
          (alive) => (alive ? undefined : settle({ kind: 'owner-gone' })),
          () => undefined,
        );
      }, livenessEveryMs);
      onAbort = () => {
        void this.publish(ownerChannel(owner), { type: 'cancel', id });
        settle({ kind: 'cancelled' });
      };
      context.signal.addEventListener('abort', onAbort, { once: true });
    });
    const message: ToOwner = { type: 'retry', id, from: this.options.replicaId, retry };
    try {
      await this.options.hot.publish(ownerChannel(owner), JSON.stringify(message));
    } catch (error) {
      this.options.logger.warn({ err: error, owner }, 'a parked-call retry could not be forwarded');
      this.awaiting.get(id)?.settle({ kind: 'owner-gone' });
    }
    return outcome;
  }

  /** Stops listening; retries awaiting an answer fail as if their owner were gone. */
  async close(): Promise<void> {
    this.closed = true;
    for (const awaiting of [...this.awaiting.values()]) awaiting.settle({ kind: 'owner-gone' });
    for (const controller of this.serving.values()) controller.abort();
    await this.started?.catch(() => undefined);
    await Promise.all(this.unsubscribe.splice(0).map((stop) => stop().catch(() => undefined)));
  }

  /** On the owner: a retry to resume, or the cancellation of one. */
  private fromForwarder(raw: string): void {
    const message = parse(toOwnerSchema, raw);
    if (!message) return this.options.logger.warn('malformed parked-call message ignored');
    if (message.type === 'cancel') {
      this.serving.get(message.id)?.abort();
      return;
    }
    const { id, from, retry } = message;
    const handler = this.handler;
    if (!handler || this.closed) return;
    const controller = new AbortController();
    this.serving.set(id, controller);
    const reply = forwarderChannel(from);
    void this.publish(reply, { type: 'accepted', id });
    const onProgress = retry.progress ? (progress: Progress) => void this.publish(reply, { type: 'progress', id, progress }) : undefined;
    void handler(retry, { signal: controller.signal, ...(onProgress ? { onProgress } : {}) })
      .catch((error: unknown): ForwardedAnswer => {
        this.options.logger.warn({ err: error }, 'a forwarded parked-call retry failed');
        return errorAnswer(new GatewayError('upstream_error'));
      })
      .then((answer) => {
        this.serving.delete(id);
        if (!controller.signal.aborted) void this.publish(reply, { type: 'answer', id, answer });
      });
  }

  /** On the forwarding replica: the owner's confirmation, progress and answer. */
  private fromOwner(raw: string): void {
    const message = parse(toForwarderSchema, raw);
    if (!message) return this.options.logger.warn('malformed parked-call reply ignored');
    const awaiting = this.awaiting.get(message.id);
    if (!awaiting) return;
    if (message.type === 'accepted') awaiting.accepted = true;
    else if (message.type === 'progress') awaiting.onProgress?.(message.progress);
    else awaiting.settle({ kind: 'answer', answer: message.answer });
  }

  private async publish(channel: string, message: ToOwner | ToForwarder): Promise<void> {
    try {
      await this.options.hot.publish(channel, JSON.stringify(message));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'a parked-call message could not be published');
    }
  }
}

function parse<T extends z.ZodType>(schema: T, raw: string): z.output<T> | undefined {
  try {
    const result = schema.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
