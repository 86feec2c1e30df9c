import { randomBytes } from 'node:crypto';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { stateHandleKey } from '@airlock/contracts';
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
import type { UpstreamServerRecord } from '../tenants/tenant-directory.js';
import { openUpstreamSecrets } from '../upstream/upstream-credentials.js';
import type { UpstreamCredentials } from '../upstream/upstream-credentials.js';
import type { StdioLauncher } from '../upstream/stdio-launcher.js';
import { UpstreamLink } from '../upstream/upstream-link.js';

export interface LegacyBridgeDeps {
  credentials: UpstreamCredentials;
  masterKey: Buffer;
  logger: Logger;
  hot: HotStore;
  stdio: StdioLauncher;
  replicaId: string;
  /** How long a parked call waits for the client's retry. */
  handleTtlMs?: number;
  /** An upstream session no new-era request used for this long is closed. */
  sessionIdleMs?: number;
}

export interface BridgeCaller {
  tenant: string;
  subject: string;
  clientId: string;
  userToken: string;
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
  handle?: string;
  timer?: NodeJS.Timeout;
}

interface UpstreamSession {
  link: Promise<UpstreamLink>;
  /** The call the upstream's server-to-client requests belong to: MRTR calls of one session run one at a time. */
  current: Flight | undefined;
  queue: Promise<void>;
  lastUsed: number;
  /** Requests of this session being served right now. */
  active: number;
}

const HANDLE_PREFIX = 'gw:state:';
const isModernMetaKey = (key: string) => key.startsWith('io.modelcontextprotocol/');

/** The client's params as a 2025-11-25 upstream may see them: no envelope, no MRTR fields. */
function legacyParams(params: Record<string, unknown>): Record<string, unknown> {
  const { _meta, inputResponses: _inputResponses, requestState: _requestState, ...rest } = params;
  const meta = Object.fromEntries(Object.entries((_meta ?? {}) as Record<string, unknown>).filter(([key]) => !isModernMetaKey(key)));
  return Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
}

function errorObject(error: unknown): JsonRpcErrorObject {
  if (error instanceof McpError) return { code: error.code, message: error.message.replace(/^MCP error -?\d+: /, ''), ...(error.data !== undefined ? { data: error.data } : {}) };
  return { code: ErrorCodes.internalError, message: 'The upstream server failed' };
}

/**
 * Direction (a): a 2026-07-28 client uses a 2025-11-25 upstream. The gateway keeps one upstream session
 * per (tenant, subject, client, server); when the upstream asks the client something (sampling,
 * elicitation, roots) during a call, the call is parked and the client gets `input_required` with a
 * gateway-minted state handle, stored under `<subject>:<handle>` with a TTL, that its retry redeems.
 * Parked calls live in this process: a retry must reach the replica that minted the handle.
 */
export class LegacyUpstreamBridge {
  private readonly sessions = new Map<string, UpstreamSession>();
  private readonly flights = new Map<string, Flight>();
  private readonly tokens = new Map<string, { current: string }>();
  private readonly ttlMs: number;
  private readonly idleMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly deps: LegacyBridgeDeps) {
    this.ttlMs = deps.handleTtlMs ?? 5 * 60_000;
    this.idleMs = Math.max(deps.sessionIdleMs ?? 10 * 60_000, this.ttlMs);
    this.sweeper = setInterval(() => void this.closeIdle(this.idleMs), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  async serve(server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller): Promise<BridgeAnswer> {
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
      return { status: 200, error: { code: ErrorCodes.methodNotFound, message: 'subscriptions/listen is not bridged to session-based upstreams yet' } };
    }
    if (!MRTR_METHODS.includes(request.method)) {
      const link = await session.link;
      try {
        return { status: 200, result: modernResultFromLegacy(request.method, await link.request(request.method, legacyParams(request.params), { signal: caller.signal, ...(caller.onProgress ? { onprogress: caller.onProgress } : {}) })) };
      } catch (error) {
        return { status: 200, error: modernErrorFromLegacy(errorObject(error), request) };
      }
    }
    const handle = typeof request.params['requestState'] === 'string' ? request.params['requestState'] : undefined;
    if (handle !== undefined) return this.resume(server, request, caller, handle);
    return this.start(session, server, request, caller);
  }

  private sessionKey(server: UpstreamServerRecord, caller: BridgeCaller): string {
    return JSON.stringify([caller.tenant, caller.subject, caller.clientId, server.id]);
  }

  private session(server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller): UpstreamSession {
    const key = this.sessionKey(server, caller);
    const existing = this.sessions.get(key);
    if (existing) {
      const token = this.tokens.get(key);
      if (token) token.current = caller.userToken;
      return existing;
    }
    const session: UpstreamSession = { current: undefined, queue: Promise.resolve(), link: Promise.resolve(undefined as never), lastUsed: Date.now(), active: 0 };
    // Token exchange trades the newest token the principal presented on this upstream session.
    const token = { current: caller.userToken };
    session.link = UpstreamLink.connect({
      server,
      secrets: openUpstreamSecrets(this.deps.masterKey, server),
      credentials: this.deps.credentials,
      caller: { tenant: caller.tenant, userToken: () => token.current },
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
          this.tokens.delete(key);
        },
      },
    });
    session.link.catch(() => this.sessions.delete(key));
    this.sessions.set(key, session);
    this.tokens.set(key, token);
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

  private async resume(server: UpstreamServerRecord, request: ModernRequest, caller: BridgeCaller, handle: string): Promise<BridgeAnswer> {
    const key = HANDLE_PREFIX + stateHandleKey(caller.subject, handle);
    const raw = await this.deps.hot.get(key);
    const stored = raw ? (JSON.parse(raw) as StateHandle) : undefined;
    const flight = this.flights.get(handle);
    const matches =
      stored !== undefined &&
      stored.tenant === caller.tenant &&
      stored.clientId === caller.clientId &&
      stored.server === server.name &&
      stored.request.method === request.method &&
      stored.request.digest === (await requestDigest(request.method, request.params));
    if (!matches || !flight) {
      return { status: 200, error: { code: ErrorCodes.invalidParams, message: 'Invalid params: requestState is unknown, expired or belongs to another request' } };
    }
    const { replies, stillPending } = answerUpstreamRequests(stored.pending, request.params['inputResponses']);
    if (stillPending.length > 0) return { status: 200, result: { ...reaskPending(stillPending, handle) } };
    await this.deps.hot.del(key);
    this.flights.delete(handle);
    clearTimeout(flight.timer);
    for (const reply of replies) {
      const parked = flight.parked.get(reply.id);
      flight.parked.delete(reply.id);
      if (parked && 'result' in reply) parked.answer(reply.result as Record<string, unknown>);
    }
    caller.signal.addEventListener('abort', () => this.abandon(flight), { once: true });
    flight.onProgress = caller.onProgress;
    return this.settle(flight, request, caller, stored.round + 1);
  }

  /** Waits for the call to finish or to ask the client something, whichever comes first. */
  private async settle(flight: Flight, request: ModernRequest, caller: BridgeCaller, round: number): Promise<BridgeAnswer> {
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
      return { status: 400, error: parked.error };
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
    await this.deps.hot.set(HANDLE_PREFIX + stateHandleKey(caller.subject, handle), JSON.stringify(record), { ttlMs: this.ttlMs });
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
      this.tokens.delete(key);
    }
    await Promise.all(idle.map(async ([, session]) => (await session.link.catch(() => undefined))?.close()));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.closeIdle(0);
  }
}
