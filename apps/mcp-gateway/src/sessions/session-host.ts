import type { HotStore } from '@airlock/redis';
import type { Logger } from '@airlock/observability';
import type { JsonRpcMessage } from '@airlock/mcp-protocol';
import { GatewayError } from '../errors/gateway-error.js';
import { jsonRpcErrorOf } from '../errors/error-response.js';
import { SseEventLog } from '../streams/sse-event-log.js';
import type { ToolPinning } from '../tenants/tool-pinning.js';
import type { TenantCatalog, UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { openUpstreamSecrets } from '../upstream/upstream-credentials.js';
import type { UpstreamCredentials } from '../upstream/upstream-credentials.js';
import { egressRefusalMessage, upstreamFailureFields } from '../upstream/upstream-egress.js';
import type { UpstreamEgress } from '../upstream/upstream-egress.js';
import type { UpstreamEras } from '../upstream/upstream-eras.js';
import type { StdioLauncher } from '../upstream/stdio-launcher.js';
import { UpstreamLink } from '../upstream/upstream-link.js';
import type { ConnectOptions, UpstreamResume } from '../upstream/upstream-link.js';
import { openSecret, sealSecret } from '@airlock/platform';
import { Upstream2026Link } from '../upstream/to-2026/upstream-2026-link.js';
import { isUpstream2026 } from '../upstream/upstream-connection.js';
import { OAuthUserConnection } from '../upstream/oauth-user-connection.js';
import type { ConnectedAccountTokens } from '../upstream/connected-account-tokens.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import type { ForwardedMessage, ReplicaBus } from './replica-bus.js';
import type { GatewaySession, SessionDirectory } from './session-directory.js';
import { SessionRuntime } from './session-runtime.js';
import type { RuntimeOutput } from './session-runtime.js';
import { serialSteps } from './serial-steps.js';
import { DEFAULT_AGGREGATE_LIST_MAX_ITEMS } from '../router/aggregated-list.js';
import type { ToolCallObservers } from '../observe/tool-call-observer.js';
import { SpanKind } from '@airlock/tracing';
import type { Tracing } from '@airlock/tracing';

export interface SessionHostDeps {
  /** OpenTelemetry: messages forwarded from a traced request run in its trace here. */
  tracing?: Tracing;
  hot: HotStore;
  log: SseEventLog;
  registry: SessionDirectory;
  bus: ReplicaBus;
  directory: TenantCatalog;
  credentials: UpstreamCredentials;
  /** The operator's upstream address policy, applied to every http connection. */
  egress: UpstreamEgress;
  /** Told when an upstream fails to connect in the era it was thought to speak (detected again next time). */
  eras?: Pick<UpstreamEras, 'forget'>;
  stdio: StdioLauncher;
  /** Sees every tools/call of the sessions here (the audit among its observers). */
  observer: ToolCallObservers;
  /** Pinned tool definitions (absent: every listed definition is served as is). */
  pinning?: ToolPinning;
  masterKey: Buffer;
  /** Connected accounts: the users' own tokens at `oauth_user` upstreams. */
  accounts?: ConnectedAccountTokens;
  logger: Logger;
  idleTimeoutMs: number;
  sweepMs: number;
  /** Items of one aggregated list page before it paginates (see aggregated-list.ts). */
  aggregateListMaxItems?: number;
}

/**
 * The sessions whose upstream connections live in this process, and the delivery of client messages to
 * them (from this replica's endpoint or from another replica through the bus). Upstream connections are
 * process-bound by nature; everything the client sees goes through the hot store.
 */
export class SessionHost {
  private readonly runtimes = new Map<string, SessionRuntime>();
  /** The newest access token seen for each local session: what token exchange trades (never sent upstream). */
  private readonly bearers = new Map<string, string>();
  private stopListening: (() => Promise<void>) | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SessionHostDeps) {}

  /** What the stateless (2026-07-28) path needs to call the same upstreams with the same credentials. */
  upstreamAccess(): {
    credentials: UpstreamCredentials;
    egress: UpstreamEgress;
    fetchImpl: typeof fetch;
    masterKey: Buffer;
    logger: Logger;
    hot: HotStore;
    stdio: StdioLauncher;
    replicaId: string;
    eras?: Pick<UpstreamEras, 'forget'>;
  } {
    const { credentials, egress, masterKey, logger, hot, stdio, bus, eras } = this.deps;
    return { credentials, egress, fetchImpl: egress.fetch, masterKey, logger, hot, stdio, replicaId: bus.replicaId, ...(eras ? { eras } : {}) };
  }

  async start(): Promise<void> {
    const tracing = this.deps.tracing?.enabled ? this.deps.tracing : undefined;
    await this.deps.bus.start((forwarded) => {
      // Sent from a traced request on another replica: run here as a span of that trace.
      const delivering = tracing && forwarded.trace
        ? tracing.inSpan('airlock.session.forwarded', SpanKind.CONSUMER, { 'airlock.tenant': forwarded.tenant, 'mcp.session.id': forwarded.sessionId }, forwarded.trace, () => this.deliver(forwarded))
        : this.deliver(forwarded);
      void delivering.catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not deliver a forwarded message'));
    });
    // Announcements missed while the connection was down: every local session is checked at once.
    this.stopListening = await this.deps.registry.onEnded(
      (id) => void this.drop(id),
      () => void this.sweep().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'session sweep failed')),
    );
    // Safety net for endings nobody announced (an idle record that simply expired): upstream sessions
    // and processes of sessions that no longer exist are closed within a minute.
    this.sweeper = setInterval(() => void this.sweep().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'session sweep failed')), this.deps.sweepMs);
    this.sweeper.unref();
  }

  async sweep(): Promise<void> {
    for (const [id, runtime] of [...this.runtimes]) {
      if (runtime.busy) continue;
      // Gone, or adopted by another replica while this one looked dead (its heartbeat lapsed in a long outage).
      const found = await this.deps.registry.find(runtime.session.tenant, id, { fresh: true });
      if (!found || found.home !== this.deps.bus.replicaId) await this.drop(id);
    }
  }

  /**
   * The session as this replica holds it, when its upstream links live here: the request needs no
   * directory read (the hot path). A session that ends is dropped here by the directory's announcement
   * (milliseconds, any replica), so an ended or revoked session is never served from here.
   */
  localSession(sessionId: string): GatewaySession | undefined {
    const runtime = this.runtimes.get(sessionId);
    if (!runtime) return undefined;
    // An idle expiry is announced by nobody: a session unused for half its idle timeout is read again.
    const now = Date.now();
    if (now - runtime.lastUsedAt > this.deps.idleTimeoutMs / 2) return undefined;
    runtime.lastUsedAt = now;
    return runtime.session;
  }

  get size(): number {
    return this.runtimes.size;
  }

  /** The standalone stream of a session: where messages unrelated to a request go. */
  async standaloneStreamId(sessionId: string, create: boolean): Promise<string | undefined> {
    const key = `gw:get-stream:${sessionId}`;
    const existing = await this.deps.hot.get(key);
    if (existing || !create) return existing ?? undefined;
    const streamId = SseEventLog.newStreamId();
    await this.deps.hot.set(key, streamId, { ttlMs: this.deps.idleTimeoutMs, onlyIfAbsent: true });
    return (await this.deps.hot.get(key)) ?? streamId;
  }

  async setStandaloneStream(sessionId: string, streamId: string): Promise<void> {
    await this.deps.hot.set(`gw:get-stream:${sessionId}`, streamId, { ttlMs: this.deps.idleTimeoutMs });
  }

  /**
   * Output of one session, appended strictly in the order it was produced: a progress notification
   * relayed a moment before the result must not land after the stream's end marker.
   */
  private output(sessionId: string): RuntimeOutput {
    const { log } = this.deps;
    const serial = serialSteps();
    const target = async (streamId: string | undefined) => streamId ?? (await this.standaloneStreamId(sessionId, true))!;
    return {
      emit: (streamId, message) =>
        serial(
          streamId === undefined
            ? async () => log.append(sessionId, await target(undefined), { kind: 'message', message })
            : () => log.append(sessionId, streamId, { kind: 'message', message }),
        ),
      answer: (streamId, reply, end) =>
        serial(async () => {
          if (reply) await log.append(sessionId, await target(streamId), { kind: 'message', message: reply });
          if (end && streamId !== undefined) await log.append(sessionId, streamId, { kind: 'end' });
        }),
      endStream: (streamId) => serial(() => log.append(sessionId, streamId, { kind: 'end' })),
      pauseStream: (streamId) => serial(() => log.append(sessionId, streamId, { kind: 'pause' })),
    };
  }

  /**
   * Opens the upstream sessions of a new downstream session on this replica. Per-server endpoints need
   * their server; the aggregate opens every enabled server and leaves out those that fail (logged).
   */
  async open(session: GatewaySession, servers: UpstreamServerRecord[], clientInfo: { name: string; version: string }, resume: Record<string, UpstreamResume> = {}): Promise<SessionRuntime> {
    const { logger } = this.deps;
    // Assigned once the upstreams are connected; their handlers read it lazily.
    const ref: { runtime?: SessionRuntime } = {};
    const bearer = this.bearers.get(session.id);
    const links = new Map<string, UpstreamConnection>();
    const connect = async (server: UpstreamServerRecord) => {
      // A 2026-07-28 upstream has no session: calls are stateless and input_required is relayed as requests.
      const open = isUpstream2026(server) ? (o: ConnectOptions) => Upstream2026Link.connect(o) : (o: ConnectOptions) => UpstreamLink.connect(o);
      const options = (): ConnectOptions => ({
        server,
        secrets: openUpstreamSecrets(this.deps.masterKey, server),
        credentials: this.deps.credentials,
        egress: this.deps.egress,
        stdio: this.deps.stdio,
        caller: { tenant: session.tenant, bearer: () => this.bearers.get(session.id) ?? bearer, subject: session.subject },
        clientCapabilities: session.clientCapabilities,
        clientInfo: { name: `airlock-gateway (for ${clientInfo.name})`.slice(0, 200), version: clientInfo.version },
        ...(resume[server.name] ? { resume: resume[server.name] } : {}),
        logger,
        handlers: {
          onRequest: async (method, params) => {
            if (!ref.runtime) throw new Error('session is not ready');
            return ref.runtime.relayUpstreamRequest(server.name, method, params);
          },
          onNotification: (method, params) => ref.runtime?.relayUpstreamNotification(server.name, method, params),
          onStreamPaused: () => ref.runtime?.pauseStreams(server.name),
          onClose: () => {
            // An upstream that dies ends the downstream session: the client gets 404 and re-initializes.
            logger.warn({ session: session.id, upstream: server.name }, 'upstream session closed; ending the downstream session');
            void this.deps.registry.end(session.tenant, session.id, `upstream ${server.name} closed`);
          },
        },
      });
      if (server.credentialKind === 'oauth_user' && this.deps.accounts) {
        // Connected accounts: the upstream is reached with the user's own account there, once connected.
        const lazy = new OAuthUserConnection(server, { tenant: session.tenant, subject: session.subject, clientCapabilities: session.clientCapabilities }, this.deps.accounts, () => open(options()));
        await lazy.warm();
        links.set(server.name, lazy);
        return;
      }
      links.set(server.name, await open(options()));
    };
    const results = await Promise.allSettled(servers.map(connect));
    const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [{ server: servers[index]!.name, error: result.reason as unknown }] : []));
    for (const failure of failed) {
      // A policy refusal is an operator matter, logged as such (no stack); anything else keeps its error.
      const fields = upstreamFailureFields(failure.error);
      logger.warn({ upstream: failure.server, ...fields }, 'egress' in fields ? 'upstream connection refused by the egress policy' : 'upstream connection failed');
    }
    for (const [index, result] of results.entries()) if (result.status === 'rejected') this.deps.eras?.forget(servers[index]!);
    if (session.target.kind === 'server' && links.size === 0) {
      const refused = egressRefusalMessage(failed[0]?.error);
      throw new GatewayError(refused ? 'upstream_blocked' : 'upstream_unavailable', {
        ...(refused ? { message: `The upstream server is unavailable: ${refused}` } : {}),
        detail: `upstream ${session.target.server} is unavailable`,
        cause: failed[0]?.error,
      });
    }
    const runtime = new SessionRuntime(session, links, {
      output: this.output(session.id),
      logger,
      disabledTools: (link) => this.deps.directory.disabledTools(link.server.id),
      gateTools: async (link, tools) => (this.deps.pinning ? this.deps.pinning.gate(session.tenant, link.server, tools) : tools),
      toolVersion: async (link, tool) => this.deps.pinning?.version(session.tenant, link.server, tool),
      observer: this.deps.observer,
      aggregateListMaxItems: this.deps.aggregateListMaxItems ?? DEFAULT_AGGREGATE_LIST_MAX_ITEMS,
    });
    ref.runtime = runtime;
    this.runtimes.set(session.id, runtime);
    return runtime;
  }

  /**
   * Takes over a session whose home released it or stopped (the caller won the adoption claim), under
   * the same client-facing session id: http upstream sessions the old home left open are reused, the
   * others opened again with the client's stored capabilities and clientInfo (a stdio server is started
   * again under the sandbox).
   */
  async adopt(session: GatewaySession, servers: UpstreamServerRecord[], bearer: string): Promise<SessionRuntime> {
    this.rememberBearer(session.id, bearer);
    const info = session.clientInfo ?? {};
    const resume = await this.takeResumeState(session);
    const runtime = await this.open(
      { ...session, home: this.deps.bus.replicaId },
      servers,
      { name: typeof info['name'] === 'string' ? info['name'] : 'client', version: typeof info['version'] === 'string' ? info['version'] : '0' },
      resume,
    );
    this.deps.logger.info({ session: session.id, previousHome: session.home, upstreams: servers.length, resumed: Object.keys(resume).length }, 'adopted a session');
    return runtime;
  }

  /**
   * Where the upstream sessions a released session left open are kept: sealed under the master key (an
   * upstream session id is a credential of sorts), for the session's idle lifetime, taken once.
   */
  private resumeKey(session: GatewaySession): string {
    return `gw:session-upstreams:${session.tenant}:${session.id}`;
  }

  private async keepResumeState(session: GatewaySession, resume: Record<string, UpstreamResume>): Promise<void> {
    if (Object.keys(resume).length === 0) return;
    const sealed = sealSecret(this.deps.masterKey, JSON.stringify(resume), this.resumeKey(session));
    await this.deps.hot.set(this.resumeKey(session), sealed, { ttlMs: this.deps.idleTimeoutMs });
  }

  private async takeResumeState(session: GatewaySession): Promise<Record<string, UpstreamResume>> {
    try {
      const sealed = await this.deps.hot.getDel(this.resumeKey(session));
      return sealed ? (JSON.parse(openSecret(this.deps.masterKey, sealed, this.resumeKey(session))) as Record<string, UpstreamResume>) : {};
    } catch (error) {
      this.deps.logger.warn({ err: error, session: session.id }, 'unreadable upstream resume state; initializing the upstream sessions again');
      return {};
    }
  }

  /** Remembers the token that authenticated a request of a session this replica holds. */
  rememberBearer(sessionId: string, bearer: string): void {
    this.bearers.set(sessionId, bearer);
  }

  /** Delivers client messages to the session's runtime here; a session this replica lost ends cleanly. */
  async deliver(forwarded: ForwardedMessage): Promise<void> {
    if (forwarded.bearer) this.bearers.set(forwarded.sessionId, forwarded.bearer);
    const runtime = this.runtimes.get(forwarded.sessionId);
    if (!runtime) {
      await this.deps.registry.end(forwarded.tenant, forwarded.sessionId, 'home replica lost the session');
      const output = this.output(forwarded.sessionId);
      for (const message of forwarded.messages) {
        if ('method' in message && 'id' in message) {
          await output.emit(forwarded.streamId, { jsonrpc: '2.0', id: message.id, error: jsonRpcErrorOf(new GatewayError('session_not_found')) });
        }
      }
      if (forwarded.streamId) await output.endStream(forwarded.streamId);
      return;
    }
    runtime.lastUsedAt = Date.now();
    await runtime.handle(forwarded.messages as JsonRpcMessage[], forwarded.streamId, { groups: forwarded.groups ?? [], scopes: forwarded.grantedScopes }).catch((error: unknown) => this.deps.logger.error({ err: error }, 'session runtime failed'));
  }

  async drop(sessionId: string): Promise<void> {
    const runtime = this.runtimes.get(sessionId);
    if (!runtime) return;
    this.runtimes.delete(sessionId);
    this.bearers.delete(sessionId);
    await runtime.close();
  }

  /** Waits (bounded) until no session has a request in flight: their answers are in the event log by then. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.runtimes.values()].some((runtime) => runtime.busy) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    // Appends pipelined behind answers written straight to a client are confirmed before the store closes.
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(0, deadline - Date.now());
    await Promise.race([this.deps.log.settled(), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }

  /**
   * Graceful shutdown: the sessions homed here are released, not ended. Once the replica is marked
   * released, other replicas adopt each session on its next request; calls that were already taken
   * finish here first (their answers are in the event log, readable from any replica), then the upstream
   * links close (upstream sessions deleted, stdio processes stopped). A client sees no 404.
   */
  async release(timeoutMs: number): Promise<void> {
    await this.deps.bus.release();
    await this.settle(timeoutMs);
    clearInterval(this.sweeper);
    await this.stopListening?.();
    await Promise.all(
      [...this.runtimes].map(async ([id, runtime]) => {
        this.runtimes.delete(id);
        this.bearers.delete(id);
        // Adopted already (a request came during the settle): nobody will reuse these upstream sessions.
        const adopted = await this.deps.registry.find(runtime.session.tenant, id, { fresh: true }).then((found) => found?.home !== this.deps.bus.replicaId, () => false);
        if (adopted) return runtime.close();
        // http upstream sessions stay open for the next home; the state is written only once they are let go.
        const resume = await runtime.detach();
        await this.keepResumeState(runtime.session, resume).catch((error: unknown) => this.deps.logger.warn({ err: error, session: id }, 'could not keep the upstream resume state'));
      }),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.stopListening?.();
    await Promise.all([...this.runtimes.keys()].map((id) => this.drop(id)));
    await this.deps.bus.close();
  }
}
