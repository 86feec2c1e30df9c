import { randomBytes } from 'node:crypto';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { stateHandleIdSchema } from '@airlock/contracts';
import type { PendingInput, StateHandle } from '@airlock/contracts';
import {
  ErrorCodes,
  SUPPORTED_PROTOCOL_VERSIONS,
  MetaKeys,
  MRTR_METHODS,
  answerUpstreamRequests,
  modernErrorFromLegacy,
  modernResultFromLegacy,
  parkUpstreamRequests,
  reaskPending,
  requestDigest,
} from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, ModernRequest, UpstreamServerRequest } from '@airlock/mcp-protocol';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import { GatewayError } from '../../errors/gateway-error.js';
import { errorAnswer, jsonRpcErrorOf } from '../../errors/error-response.js';
import type { UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import { openUpstreamSecrets } from '../upstream-credentials.js';
import type { UpstreamCredentials } from '../upstream-credentials.js';
import type { UpstreamEgress } from '../upstream-egress.js';
import type { StdioLauncher } from '../stdio-launcher.js';
import { UpstreamLink } from '../upstream-link.js';
import { ParkedCallForwarding } from './parked-call-forwarding.js';
import type { ParkedRetry, Progress } from './parked-call-forwarding.js';
import { LocalParkedCallHandles } from './parked-call-handles.js';
import type { ParkedCallHandles } from './parked-call-handles.js';

export interface Upstream2025BridgeDeps {
  credentials: UpstreamCredentials;
  egress: UpstreamEgress;
  masterKey: Buffer;
  logger: Logger;
  hot: HotStore;
  stdio: StdioLauncher;
  replicaId: string;
  /** How long a parked call waits for the client's retry. */
  handleTtlMs?: number;
  /** An upstream session no new-era request used for this long is closed. */
  sessionIdleMs?: number;
  /** Where state handles live: the session store in production; the hot store (`gw:state:...`) when omitted. */
  stateHandles?: ParkedCallHandles;
  /**
   * Replica liveness (`ReplicaBus.isAlive`). With it, a retry that reaches a replica other than the one
   * holding the parked call is forwarded there (`ParkedCallForwarding`); without it, it is refused.
   */
  isAlive?: (replicaId: string) => Promise<boolean>;
  /** Forwarding timings (tests shorten them). */
  forwarding?: { ackTimeoutMs?: number; livenessEveryMs?: number };
}

export interface BridgeCaller {
  tenant: string;
  subject: string;
  clientId: string;
  bearer: string;
  signal: AbortSignal;
  /** Progress of the call, when the client asked for it with a `progressToken`. */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/** What the endpoint sends back: a JSON-RPC result or error, with its HTTP status. */
export type BridgeAnswer = { status: number; result: Record<string, unknown> } | { status: number; error: JsonRpcErrorObject };

interface Parked {
  request: UpstreamServerRequest;
  answer(result: Record<string, unknown>): void;
  refuse(error: JsonRpcErrorObject): void;
}

/** One upstream call in flight for a new-era client, possibly parked on the upstream's requests. */
interface Flight {
  call: Promise<{ ok: true; result: Record<string, unknown> } | { ok: false; error: unknown }>;
  parked: Map<string | number, Parked>;
  arrived: Parked[];
  wake: (() => void) | undefined;
  release(): void;
  server: string;
  onProgress: BridgeCaller['onProgress'];
  /** The upstream session's user token holder: token exchange trades the newest token a retry brought. */
  bearer: { current: string };
  handle?: string;
  timer?: NodeJS.Timeout;
}

type CallerIdentity = Pick<BridgeCaller, 'tenant' | 'subject' | 'clientId'>;

const UNKNOWN_HANDLE: BridgeAnswer = errorAnswer(new GatewayError('invalid_params', { message: 'Invalid params: requestState is unknown, expired or belongs to another request' }));
const OWNER_GONE: BridgeAnswer = errorAnswer(
  new GatewayError('invalid_params', { message: 'Invalid params: requestState has expired: the gateway replica holding the call stopped; start the call again' }),
);
const HANDLES_UNAVAILABLE: BridgeAnswer = errorAnswer(new GatewayError('dependency_unavailable', { message: 'State handles cannot be reached right now; retry later' }));

interface UpstreamSession {
  link: Promise<UpstreamLink>;
  /** The call the upstream's server-to-client requests belong to: MRTR calls of one session run one at a time. */
  current: Flight | undefined;
  queue: Promise<void>;
  lastUsed: number;
  /** Requests of this session being served right now. */
  active: number;
}

const isModernMetaKey = (key: string) => key.startsWith('io.modelcontextprotocol/');

/** The client's params as a 2025-11-25 upstream may see them: no envelope, no MRTR fields. */
function legacyParams(params: Record<string, unknown>): Record<string, unknown> {
  const { _meta, inputResponses: _inputResponses, requestState: _requestState, ...rest } = params;
  const meta = Object.fromEntries(Object.entries((_meta ?? {}) as Record<string, unknown>).filter(([key]) => !isModernMetaKey(key)));
  return Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
}

function errorObject(error: unknown): JsonRpcErrorObject {
  if (error instanceof McpError) return { code: error.code, message: error.message.replace(/^MCP error -?\d+: /, ''), ...(error.data !== undefined ? { data: error.data } : {}) };
  return jsonRpcErrorOf(new GatewayError('upstream_error'));
}

/**
 * Direction (a): a 2026-07-28 client uses a 2025-11-25 upstream. The gateway keeps one upstream session
 * per (tenant, subject, client, server); when the upstream asks the client something (sampling,
 * elicitation, roots) during a call, the call is parked and the client gets `input_required` with a
 * gateway-minted state handle, stored in the session store under `<subject>:<handle>` with a TTL, that its
 * retry redeems once. Parked calls live in the process that parked them (the handle's `owner`): a retry
 * validated and consumed on another replica is forwarded to the owner, which resumes the call and
 * answers back (`ParkedCallForwarding`).
 */
export class Upstream2025Bridge {
  private readonly sessions = new Map<string, UpstreamSession>();
  private readonly flights = new Map<string, Flight>();
  private readonly bearers = new Map<string, { current: string }>();
  private readonly ttlMs: number;
  private readonly idleMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private readonly handles: ParkedCallHandles;
  private readonly forwarding: ParkedCallForwarding | undefined;

  constructor(private readonly deps: Upstream2025BridgeDeps) {
    this.handles = deps.stateHandles ?? new LocalParkedCallHandles(deps.hot);
    this.forwarding = deps.isAlive
      ? new ParkedCallForwarding({ hot: deps.hot, replicaId: deps.replicaId, isAlive: deps.isAlive, logger: deps.logger, ...deps.forwarding })
      : undefined;
    this.ttlMs = deps.handleTtlMs ?? 5 * 60_000;
    this.idleMs = Math.max(deps.sessionIdleMs ?? 10 * 60_000, this.ttlMs);
    this.sweeper = setInterval(() => void this.closeIdle(this.idleMs), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  async serve(server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller): Promise<BridgeAnswer> {
    // A retry needs no upstream session here: the parked call is in its owner's.
    const handle = MRTR_METHODS.includes(request.method) && typeof request.params['requestState'] === 'string' ? request.params['requestState'] : undefined;
    if (handle !== undefined) return this.resume(server, request, caller, handle);
    const session = this.session(server, request, caller);
    session.active++;
    session.lastUsed = Date.now();
    try {
      return await this.dispatch(session, server, request, caller);
    } finally {
      session.active--;
      session.lastUsed = Date.now();
    }
  }

  private async dispatch(session: UpstreamSession, server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller): Promise<BridgeAnswer> {
    if (request.method === 'server/discover') {
      const link = await session.link;
      return {
        status: 200,
        result: modernResultFromLegacy('server/discover', {
          // The endpoint serves every revision: 2026-07-28 through this bridge, the others as sessions.
          supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
          capabilities: link.capabilities(),
          ...(link.client.getInstructions() ? { instructions: link.client.getInstructions() } : {}),
          _meta: { [MetaKeys.serverInfo]: link.client.getServerVersion() ?? { name: server.name, version: '0' } },
        }),
      };
    }
    if (request.method === 'subscriptions/listen') {
      return errorAnswer(new GatewayError('method_not_found', { message: 'subscriptions/listen is not bridged to session-based upstreams yet' }));
    }
    if (!MRTR_METHODS.includes(request.method)) {
      const link = await session.link;
      try {
        return { status: 200, result: modernResultFromLegacy(request.method, await link.request(request.method, legacyParams(request.params), { signal: caller.signal, ...(caller.onProgress ? { onprogress: caller.onProgress } : {}) })) };
      } catch (error) {
        return { status: 200, error: modernErrorFromLegacy(errorObject(error), request) };
      }
    }
    return this.start(session, server, request, caller);
  }

  private sessionKey(server: UpstreamServerRecord, caller: BridgeCaller): string {
    return JSON.stringify([caller.tenant, caller.subject, caller.clientId, server.id]);
  }

  private session(server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller): UpstreamSession {
    const key = this.sessionKey(server, caller);
    const existing = this.sessions.get(key);
    if (existing) {
      const token = this.bearers.get(key);
      if (token) token.current = caller.bearer;
      return existing;
    }
    const session: UpstreamSession = { current: undefined, queue: Promise.resolve(), link: Promise.resolve(undefined as never), lastUsed: Date.now(), active: 0 };
    // Token exchange trades the newest token the principal presented on this upstream session.
    const token = { current: caller.bearer };
    session.link = UpstreamLink.connect({
      server,
      secrets: openUpstreamSecrets(this.deps.masterKey, server),
      credentials: this.deps.credentials,
      egress: this.deps.egress,
      caller: { tenant: caller.tenant, bearer: () => token.current, subject: caller.subject },
      stdio: this.deps.stdio,
      // The upstream may ask for what a new-era client can answer through input_required.
      clientCapabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} },
      clientInfo: request.clientInfo ?? { name: 'airlock-gateway', version: '0' },
      logger: this.deps.logger,
      handlers: {
        onRequest: (method, params) => this.upstreamAsks(session, method, params),
        onNotification: () => undefined,
        onStreamPaused: () => undefined,
        onClose: () => {
          this.sessions.delete(key);
          this.bearers.delete(key);
        },
      },
    });
    session.link.catch(() => this.sessions.delete(key));
    this.sessions.set(key, session);
    this.bearers.set(key, token);
    return session;
  }

  private upstreamIds = 0;

  private upstreamAsks(session: UpstreamSession, method: string, params: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    const flight = session.current;
    if (!flight) return Promise.reject(new McpError(ErrorCodes.invalidRequest, `${method} outside a client call cannot reach a stateless client`));
    return new Promise((resolve, reject) => {
      const parked: Parked = {
        request: { id: ++this.upstreamIds, method, ...(params ? { params } : {}) },
        answer: resolve,
        refuse: (error) => reject(new McpError(error.code, error.message, error.data)),
      };
      flight.parked.set(parked.request.id, parked);
      flight.arrived.push(parked);
      flight.wake?.();
    });
  }

  private async start(session: UpstreamSession, server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller): Promise<BridgeAnswer> {
    const link = await session.link;
    // One MRTR call per upstream session at a time, so the upstream's requests are attributed to it.
    let release!: () => void;
    const previous = session.queue;
    session.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const controller = new AbortController();
    const flight: Flight = {
      parked: new Map(),
      arrived: [],
      wake: undefined,
      release: () => {
        if (session.current === flight) session.current = undefined;
        release();
      },
      call: Promise.resolve(undefined as never),
      server: server.name,
      onProgress: undefined,
      bearer: this.bearers.get(this.sessionKey(server, caller)) ?? { current: caller.bearer },
    };
    session.current = flight;
    // Progress goes to whichever client request is waiting on this call right now (first or a retry).
    flight.onProgress = caller.onProgress;
    const onprogress = (progress: { progress: number; total?: number; message?: string }) => flight.onProgress?.(progress);
    flight.call = link.request(request.method, legacyParams(request.params), { signal: controller.signal, onprogress }).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    caller.signal.addEventListener('abort', () => controller.abort(), { once: true });
    return this.settle(flight, request, caller, 1);
  }

  /**
   * A retry: checked against its handle (subject-bound key; same tenant, client, server, method and
   * arguments), asked again while answers are missing, else consumed (one retry redeems it) and resumed
   * here or by the owner replica.
   */
  private async resume(server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller, handle: string): Promise<BridgeAnswer> {
    if (!stateHandleIdSchema.safeParse(handle).success) return UNKNOWN_HANDLE;
    let stored: StateHandle | null;
    try {
      stored = await this.handles.get(caller.tenant, caller.subject, handle);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'state handle lookup failed');
      return HANDLES_UNAVAILABLE;
    }
    const matches =
      stored !== null &&
      stored.tenant === caller.tenant &&
      stored.subject === caller.subject &&
      stored.clientId === caller.clientId &&
      stored.server === server.name &&
      stored.request.method === request.method &&
      stored.request.digest === (await requestDigest(request.method, request.params));
    if (!stored || !matches) return UNKNOWN_HANDLE;
    const local = stored.owner === this.deps.replicaId;
    const reachable = local ? this.flights.has(handle) : this.forwarding !== undefined && (await this.forwarding.isAlive(stored.owner).catch(() => true));
    const { replies, stillPending } = answerUpstreamRequests(stored.pending, request.params['inputResponses']);
    if (reachable && stillPending.length > 0) return { status: 200, result: { ...reaskPending(stillPending, handle) } };
    let consumed: StateHandle | null;
    try {
      consumed = await this.handles.consume(caller.tenant, caller.subject, handle);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'state handle consume failed');
      return HANDLES_UNAVAILABLE;
    }
    // Consumed by a concurrent retry, or expired in between.
    if (!consumed) return UNKNOWN_HANDLE;
    if (!reachable) return local ? UNKNOWN_HANDLE : OWNER_GONE;
    const retry: ParkedRetry = {
      handle,
      round: consumed.round,
      request,
      caller: { tenant: caller.tenant, subject: caller.subject, clientId: caller.clientId },
      replies,
      progress: caller.onProgress !== undefined,
      // The owner needs the newest user token only to trade it; it is never sent upstream.
      ...(server.credentialKind === 'token_exchange' ? { bearer: caller.bearer } : {}),
    };
    if (local) return this.resumeHere(retry, { signal: caller.signal, onProgress: caller.onProgress, bearer: caller.bearer });
    const forwarding = this.forwarding!;
    try {
      await forwarding.start((forwarded, context) => this.resumeHere(forwarded, context));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'parked-call forwarding could not listen');
      return OWNER_GONE;
    }
    const outcome = await forwarding.forward(consumed.owner, retry, { signal: caller.signal, onProgress: caller.onProgress });
    if (outcome.kind === 'answer') return outcome.answer;
    return outcome.kind === 'owner-gone' ? OWNER_GONE : UNKNOWN_HANDLE;
  }

  /** Resumes a call parked in this process with the retry's answers (from this replica or forwarded). */
  private async resumeHere(retry: ParkedRetry, context: { signal: AbortSignal; onProgress?: ((progress: Progress) => void) | undefined; bearer?: string }): Promise<BridgeAnswer> {
    const flight = this.flights.get(retry.handle);
    if (!flight) return UNKNOWN_HANDLE;
    this.flights.delete(retry.handle);
    clearTimeout(flight.timer);
    const token = context.bearer ?? retry.bearer;
    if (token !== undefined) flight.bearer.current = token;
    for (const reply of retry.replies) {
      const parked = flight.parked.get(reply.id);
      flight.parked.delete(reply.id);
      if (parked && 'result' in reply) parked.answer(reply.result as Record<string, unknown>);
    }
    context.signal.addEventListener('abort', () => this.abandon(flight), { once: true });
    flight.onProgress = context.onProgress;
    return this.settle(flight, retry.request, retry.caller, retry.round + 1);
  }

  /** Waits for the call to finish or to ask the client something, whichever comes first. */
  private async settle(flight: Flight, request: ModernRequest, caller: CallerIdentity, round: number): Promise<BridgeAnswer> {
    const asked = new Promise<'asked'>((resolve) => {
      flight.wake = () => resolve('asked');
      if (flight.arrived.length > 0) resolve('asked');
    });
    const outcome = await Promise.race([flight.call, asked]);
    flight.wake = undefined;
    if (outcome !== 'asked') {
      flight.release();
      return outcome.ok
        ? { status: 200, result: modernResultFromLegacy(request.method, outcome.result) }
        : { status: 200, error: modernErrorFromLegacy(errorObject(outcome.error), request) };
    }
    // Requests the upstream sends together are asked together.
    await new Promise((resolve) => setImmediate(resolve));
    const arrived = flight.arrived.splice(0);
    const handle = randomBytes(16).toString('base64url');
    const parked = parkUpstreamRequests(
      arrived.map((entry) => entry.request),
      { clientCapabilities: request.clientCapabilities, requestState: handle },
    );
    for (const reply of parked.upstreamReplies) {
      const entry = flight.parked.get(reply.id);
      flight.parked.delete(reply.id);
      if (!entry) continue;
      if ('result' in reply) entry.answer(reply.result as Record<string, unknown>);
      else entry.refuse(reply.error as JsonRpcErrorObject);
    }
    if (parked.kind === 'missing-capability') {
      this.abandon(flight);
      return errorAnswer(new GatewayError('missing_client_capability', { message: parked.error.message, data: parked.error.data }));
    }
    const now = Date.now();
    const record: StateHandle = {
      handle,
      tenant: caller.tenant,
      subject: caller.subject,
      clientId: caller.clientId,
      server: flight.server,
      upstreamRequestId: 0,
      request: { method: request.method, ...(request.name ? { name: request.name } : {}), digest: await requestDigest(request.method, request.params) },
      pending: parked.pending as PendingInput[],
      owner: this.deps.replicaId,
      round,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlMs).toISOString(),
    };
    try {
      // Listening before the handle exists: a retry may reach another replica at once and be forwarded here.
      await this.forwarding?.start((retry, context) => this.resumeHere(retry, context));
      await this.handles.put(record);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'a parked call could not be stored');
      this.abandon(flight);
      return HANDLES_UNAVAILABLE;
    }
    flight.handle = handle;
    this.flights.set(handle, flight);
    // A client that never retries: the parked upstream call is refused when the handle expires.
    flight.timer = setTimeout(() => {
      if (this.flights.get(handle) === flight) {
        this.flights.delete(handle);
        this.abandon(flight);
      }
    }, this.ttlMs);
    flight.timer.unref();
    return { status: 200, result: { ...parked.result } };
  }

  /** Refuses every parked upstream request and lets the next call of the session run. */
  private abandon(flight: Flight): void {
    for (const entry of flight.parked.values()) entry.refuse({ code: ErrorCodes.invalidRequest, message: 'The client did not answer' });
    flight.parked.clear();
    flight.release();
  }

  /**
   * Closes the upstream sessions unused for `idleMs` with nothing in flight or parked. Graceful shutdown
   * calls it with 0: calls in flight finish; their sessions go with the process.
   */
  async closeIdle(idleMs: number): Promise<void> {
    const now = Date.now();
    const idle = [...this.sessions.entries()].filter(([, session]) => session.active === 0 && session.current === undefined && now - session.lastUsed >= idleMs);
    for (const [key] of idle) {
      this.sessions.delete(key);
      this.bearers.delete(key);
    }
    await Promise.all(idle.map(async ([, session]) => (await session.link.catch(() => undefined))?.close()));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    // Parked calls cannot be resumed once this replica stops listening: their retries get OWNER_GONE.
    await this.forwarding?.close();
    for (const [handle, flight] of [...this.flights]) {
      this.flights.delete(handle);
      clearTimeout(flight.timer);
      this.abandon(flight);
    }
    await this.closeIdle(0);
  }
}
