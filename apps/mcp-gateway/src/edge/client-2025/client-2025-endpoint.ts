import { isRequest, jsonRpcErrorResponse, negotiateLegacyProtocolVersion, supportsPrimingEvents } from '@airlock/mcp-protocol';
import type { JsonRpcMessage, JsonRpcRequest } from '@airlock/mcp-protocol';
import { REQUEST_ID_HEADER } from '@airlock/observability';
import { SpanKind, currentTraceCarrier, endSpan, startSpan } from '@airlock/tracing';
import type { Span } from '@airlock/tracing';
import type { AuthOutcome } from '../bearer-auth.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { jsonRpcErrorOf } from '../../errors/error-response.js';
import type { EndpointTarget, GatewaySession } from '../../sessions/session-directory.js';
import type { TenantRecord, UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import { aggregatable, toolTarget } from '../../router/namespacing.js';
import { NO_TOOL_CALL_OBSERVERS, refusalOutcome } from '../../observe/tool-call-observer.js';
import { ReplicaBus } from '../../sessions/replica-bus.js';
import type { ForwardedMessage } from '../../sessions/replica-bus.js';
import { SseEventLog } from '../../streams/sse-event-log.js';
import { DirectStreamTimers, directStream, pumpStream } from '../../streams/sse-stream-pump.js';
import type { Pump, RawResponse } from '../../streams/sse-stream-pump.js';
import { checkGetAccept, messagesOf, parseMessages, requestProtocolVersion } from '../request-validation.js';
import { PRIMING_DELAY_MS, node, requireMcpScope, sendJson } from '../edge-request.js';
import type { EndpointDeps, RawRequest, Route } from '../edge-request.js';

/** How long a forwarded message waits for the home's acknowledgement before it is sent again (same id). */
const FORWARD_ACK_MS = 500;
/** How long a message is sent again to a home that still holds its sessions before the requests get an error. */
const FORWARD_GIVE_UP_MS = 30_000;
/** How long a replica that lost an adoption claim waits for the winner to record itself as the home. */
const ADOPTION_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the edge checks for both eras, lent to the session side: rate limits, per-tool scopes, the tenant's upstreams. */
export interface EdgeChecks {
  rateLimit(tenant: string, sessionId: string | undefined): Promise<void>;
  checkToolScopes(messages: JsonRpcMessage[], route: Route, tenant: TenantRecord, resource: string, auth: AuthOutcome): Promise<void>;
  upstreams(tenant: TenantRecord, route: Route, auth: AuthOutcome): Promise<UpstreamServerRecord[]>;
}

/**
 * The 2025-11-25 (session) side of every endpoint, once the edge has done route, Host/Origin, tenant,
 * token and era: initialize, POST into a session (home replica straight to the response, others through
 * the replica bus and the event log), GET streams and resumption, DELETE. A session is resolved only for
 * an authenticated principal, and a session of anyone else is indistinguishable from one that does not
 * exist (404).
 */
export class Client2025Endpoint {
  private readonly pumps = new Set<Pump>();
  private readonly timers: DirectStreamTimers;
  /** Adoptions this replica is running, by session id: concurrent requests of one session wait for the same one. */
  private readonly adopting = new Map<string, Promise<GatewaySession>>();

  constructor(
    private readonly deps: EndpointDeps,
    private readonly edge: EdgeChecks,
  ) {
    this.timers = new DirectStreamTimers({ keepAliveMs: deps.options.keepAliveMs, primingDelayMs: deps.options.primingDelayMs ?? PRIMING_DELAY_MS });
  }

  /** A POST whose body is not a 2026-07-28 request: an initialize, or messages of an existing session. */
  async post(request: RawRequest, response: RawResponse, route: Route, tenant: TenantRecord, resource: string, auth: AuthOutcome, body: Buffer, parsed: unknown): Promise<void> {
    const headerVersion = requestProtocolVersion(request.headers);
    const sessionHeader = request.headers['mcp-session-id'];
    const initialize = typeof sessionHeader !== 'string';
    // Batches are judged by the revision the request speaks; an initialize can never be batched.
    // Parsed once: a body that is not JSON is parsed again only to be refused (-32700).
    const { messages, batch } = parsed === undefined ? parseMessages(body, headerVersion.version) : messagesOf(parsed, headerVersion.version);
    const initRequest = messages.find((message): message is JsonRpcRequest => isRequest(message) && message.method === 'initialize');
    if (initRequest) {
      if (batch) throw new GatewayError('invalid_request', { message: 'Invalid Request: initialize cannot be part of a batch' });
      if (!initialize) throw new GatewayError('invalid_request', { message: 'Invalid Request: the session is already initialized' });
      requireMcpScope(resource, auth);
      await this.edge.rateLimit(route.tenant, undefined);
      return this.initialize(response, route, tenant, auth, initRequest);
    }
    const session = await this.session(request, route, auth, { adopt: true });
    if (batch && session.protocolVersion >= '2025-06-18') {
      throw new GatewayError('invalid_request', { message: `Invalid Request: JSON-RPC batches are not supported in ${session.protocolVersion}` });
    }
    try {
      await this.edge.rateLimit(route.tenant, session.id);
      await this.edge.checkToolScopes(messages, route, tenant, resource, auth);
    } catch (error) {
      this.observeRefusal(error, messages, route, session, auth, response);
      throw error;
    }

    const requests = messages.filter(isRequest);
    if (session.home === this.deps.bus.replicaId) return this.postHere(response, session, auth, messages, requests.length);
    const forward = async (streamId: string | undefined) => {
      const exchanges = (await this.deps.directory.upstreamServers(tenant.id)).some((server) => server.credentialKind === 'token_exchange');
      const forwarded = {
        tenant: session.tenant,
        sessionId: session.id,
        messages,
        grantedScopes: [...auth.scopes],
        groups: auth.claims.groups ?? [],
        ...(streamId ? { streamId } : {}),
        ...(exchanges ? { bearer: auth.bearer } : {}),
      };
      const trace = currentTraceCarrier();
      await this.forwardToHome(session, trace ? { ...forwarded, trace } : forwarded, route, auth);
    };
    if (requests.length === 0) {
      await forward(undefined);
      node(response).writeHead(202).end();
      return;
    }
    const streamId = SseEventLog.newStreamId();
    const priming = supportsPrimingEvents(session.protocolVersion) ? await this.deps.log.append(session.id, streamId, { kind: 'priming' }) : undefined;
    this.pump(response, session, streamId, '0', false, priming);
    void forward(streamId).catch(async (error: unknown) => {
      this.deps.logger.error({ err: error, session: session.id }, 'could not deliver a request to its session');
      await this.answerUndelivered(session, messages, streamId, error).catch(() => undefined);
    });
  }

  /**
   * Hands a message to the session's home and waits for its acknowledgement; sends it again (same id, the
   * home takes it once) while the home still holds its sessions (a lost publish or acknowledgement), and
   * adopts the session when the home released it or stopped.
   */
  private async forwardToHome(session: GatewaySession, forwarded: ForwardedMessage, route: Route, auth: AuthOutcome): Promise<void> {
    const forwardId = ReplicaBus.newForwardId();
    const giveUpAt = Date.now() + FORWARD_GIVE_UP_MS;
    let current = session;
    for (;;) {
      if (current.home === this.deps.bus.replicaId) return this.deps.host.deliver(forwarded);
      if (await this.deps.bus.forward(current.home, forwardId, forwarded, FORWARD_ACK_MS)) return;
      if (await this.deps.bus.holdsSessions(current.home).catch(() => true)) {
        if (Date.now() > giveUpAt) throw new Error(`replica ${current.home} did not acknowledge a forwarded message`);
        continue;
      }
      current = await this.adopt(current, route, auth);
    }
  }

  /** The requests of a message that reached no home are answered on their stream (the client is not left waiting). */
  private async answerUndelivered(session: GatewaySession, messages: JsonRpcMessage[], streamId: string, error: unknown): Promise<void> {
    const failure = error instanceof GatewayError ? error : new GatewayError('internal', { cause: error });
    for (const message of messages) {
      if (isRequest(message)) await this.deps.log.append(session.id, streamId, { kind: 'message', message: { jsonrpc: '2.0', id: message.id, error: jsonRpcErrorOf(failure) } });
    }
    await this.deps.log.append(session.id, streamId, { kind: 'end' });
  }

  async delete(request: RawRequest, response: RawResponse, route: Route, auth: AuthOutcome): Promise<void> {
    // A released session is ended where it is: nothing to adopt for that.
    const session = await this.session(request, route, auth, { adopt: false });
    await this.deps.registry.end(session.tenant, session.id, 'deleted by the client');
    await this.deps.host.drop(session.id);
    node(response).writeHead(200).end();
  }

  /**
   * The session named by the request, if it exists, is alive and belongs to this principal and endpoint.
   * A session whose upstream links live here is answered from memory (no directory read: it is dropped
   * here the moment it ends anywhere); one whose home released it or stopped is adopted.
   */
  private session(request: RawRequest, route: Route, auth: AuthOutcome, options: { adopt: boolean }): Promise<GatewaySession> {
    const span = startSpan('airlock.session.lookup', SpanKind.INTERNAL);
    return span ? this.sessionTraced(span, request, route, auth, options) : this.findSession(request, route, auth, options);
  }

  private async sessionTraced(span: Span, request: RawRequest, route: Route, auth: AuthOutcome, options: { adopt: boolean }): Promise<GatewaySession> {
    const local = typeof request.headers['mcp-session-id'] === 'string' && this.deps.host.localSession(request.headers['mcp-session-id']) !== undefined;
    span.setAttribute('airlock.session.source', local ? 'local' : 'directory');
    try {
      const session = await this.findSession(request, route, auth, options);
      span.setAttribute('mcp.session.id', session.id);
      endSpan(span);
      return session;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private async findSession(request: RawRequest, route: Route, auth: AuthOutcome, options: { adopt: boolean }): Promise<GatewaySession> {
    const header = request.headers['mcp-session-id'];
    if (typeof header !== 'string' || header === '') throw new GatewayError('bad_request', { message: 'Bad Request: Mcp-Session-Id header is required' });
    const local = this.deps.host.localSession(header);
    const session = local ?? (await this.deps.registry.find(route.tenant, header));
    const sameTarget = (a: EndpointTarget, b: EndpointTarget) => a.kind === b.kind && (a.kind === 'aggregated' || a.server === (b as { server: string }).server);
    const owned =
      session !== undefined &&
      session.tenant === route.tenant &&
      sameTarget(session.target, route.target) &&
      session.subject === auth.claims.sub &&
      session.clientId === auth.claims.client_id;
    if (!owned) throw new GatewayError('session_not_found');
    let current = session;
    if (!local && current.home !== this.deps.bus.replicaId && options.adopt && !(await this.deps.bus.holdsSessions(current.home))) {
      current = await this.adopt(current, route, auth);
    }
    await this.deps.registry.touch(current);
    return current;
  }

  /** One adoption per session at a time on this replica; see `claimOrWait`. */
  private adopt(session: GatewaySession, route: Route, auth: AuthOutcome): Promise<GatewaySession> {
    let running = this.adopting.get(session.id);
    if (!running) {
      running = this.claimOrWait(session, route, auth).finally(() => this.adopting.delete(session.id));
      this.adopting.set(session.id, running);
    }
    return running;
  }

  /**
   * A session whose home is gone: the one replica that wins the claim opens its upstream links here and
   * records itself as the home; any other waits for that record and forwards to the winner. A session
   * whose upstream cannot be re-established is ended (404, logged with the reason).
   */
  private async claimOrWait(session: GatewaySession, route: Route, auth: AuthOutcome): Promise<GatewaySession> {
    const me = this.deps.bus.replicaId;
    if (await this.deps.bus.claim(session.id, session.home)) {
      let servers: UpstreamServerRecord[];
      try {
        const tenant = await this.deps.directory.tenant(route.tenant);
        if (!tenant) throw new GatewayError('not_found', { detail: 'the tenant no longer exists' });
        servers = selectUpstreams(route, await this.edge.upstreams(tenant, route, auth));
        await this.deps.host.adopt(session, servers, auth.bearer);
      } catch (error) {
        this.deps.logger.warn({ err: error, session: session.id, previousHome: session.home }, 'could not adopt a session: its upstream links cannot be re-established; ending it');
        await this.deps.registry.end(session.tenant, session.id, 'adoption failed');
        throw new GatewayError('session_not_found');
      }
      await this.deps.registry.rehome(session, me);
      return this.deps.host.localSession(session.id) ?? { ...session, home: me };
    }
    const deadline = Date.now() + ADOPTION_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(25);
      const fresh = await this.deps.registry.find(session.tenant, session.id, { fresh: true });
      if (!fresh) throw new GatewayError('session_not_found');
      if (fresh.home !== session.home) return fresh;
    }
    throw new GatewayError('dependency_unavailable', { detail: `session ${session.id} was claimed by another replica that did not take it over in time` });
  }

  /**
   * A POST on the session's home replica: the runtime's output is written straight to this response as
   * it is produced, and appended to the event log behind it (for a resume on any replica); a quick lone
   * answer is one JSON body instead (see `directStream`).
   */
  private async postHere(response: RawResponse, session: GatewaySession, auth: AuthOutcome, messages: JsonRpcMessage[], requestCount: number): Promise<void> {
    // The newest token of the session: what token exchange trades; it stays in this process.
    this.deps.host.rememberBearer(session.id, auth.bearer);
    const grantedScopes = [...auth.scopes];
    const groups = auth.claims.groups ?? [];
    if (requestCount === 0) {
      await this.deps.host.deliver({ tenant: session.tenant, sessionId: session.id, messages, grantedScopes, groups });
      node(response).writeHead(202).end();
      return;
    }
    const streamId = SseEventLog.newStreamId();
    const pump = directStream(
      response,
      { 'mcp-session-id': session.id },
      {
        log: this.deps.log,
        sessionId: session.id,
        streamId,
        retryMs: this.deps.options.retryMs,
        timers: this.timers,
        answerAsJson: requestCount === 1,
        onStop: () => this.pumps.delete(pump),
        onAppendError: (error) => this.deps.logger.error({ err: error, session: session.id }, 'could not append an event to the log'),
      },
    );
    this.pumps.add(pump);
    if (supportsPrimingEvents(session.protocolVersion)) {
      this.deps.log.append(session.id, streamId, { kind: 'priming' }).catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not append an event to the log'));
    }
    void this.deps.host
      .deliver({ tenant: session.tenant, sessionId: session.id, messages, grantedScopes, groups, streamId })
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not deliver a request to its session'));
  }

  private pump(response: RawResponse, session: GatewaySession, streamId: string, after: string, resumed = false, primingEventId?: string): void {
    const pump = pumpStream(
      response,
      { 'mcp-session-id': session.id },
      {
        log: this.deps.log,
        sessionId: session.id,
        streamId,
        afterEntryId: after,
        resumed,
        retryMs: this.deps.options.retryMs,
        keepAliveMs: this.deps.options.keepAliveMs,
        onStop: () => this.pumps.delete(pump),
        primingEventId,
      },
    );
    this.pumps.add(pump);
  }

  /** Each tools/call of a POST refused here is observed as refused, with the refusal's code, before the answer. */
  private observeRefusal(error: unknown, messages: JsonRpcMessage[], route: Route, session: GatewaySession, auth: AuthOutcome, response: RawResponse): void {
    const observer = this.deps.observer ?? NO_TOOL_CALL_OBSERVERS;
    const requestId = node(response).getHeader(REQUEST_ID_HEADER);
    for (const message of messages) {
      if (!isRequest(message) || message.method !== 'tools/call') continue;
      const target = toolTarget(route.target.kind === 'server' ? route.target.server : undefined, String(message.params?.['name'] ?? ''));
      const startedAt = Date.now();
      const call = {
        tenant: session.tenant,
        sessionId: session.id,
        subject: auth.claims.sub,
        clientId: auth.claims.client_id,
        server: target.server,
        tool: target.tool,
        era: '2025-11-25',
        protocolVersion: session.protocolVersion,
        requestId: typeof requestId === 'string' ? requestId : undefined,
        startedAt,
        arguments: message.params?.['arguments'],
      } as const;
      observer.after(call, refusalOutcome(error, startedAt));
    }
  }

  private async initialize(response: RawResponse, route: Route, tenant: TenantRecord, auth: AuthOutcome, init: JsonRpcRequest): Promise<void> {
    const params = init.params ?? {};
    const clientInfo = (params['clientInfo'] ?? {}) as { name?: unknown; version?: unknown };
    const protocolVersion = negotiateLegacyProtocolVersion(params['protocolVersion']);
    const selected = selectUpstreams(route, await this.edge.upstreams(tenant, route, auth));
    const bearer = auth.bearer;
    const session = await this.deps.registry.create({
      tenant: route.tenant,
      subject: auth.claims.sub,
      clientId: auth.claims.client_id,
      grantId: auth.claims.grant_id,
      tokenIssuedAt: auth.claims.iat,
      target: route.target,
      protocolVersion,
      clientCapabilities: (params['capabilities'] ?? {}) as Record<string, unknown>,
      clientInfo: { name: clientInfo.name, version: clientInfo.version },
      upstreams: selected.map((server) => server.name),
      home: this.deps.bus.replicaId,
    });
    this.deps.host.rememberBearer(session.id, bearer);
    let result: Record<string, unknown>;
    try {
      const runtime = await this.deps.host.open(session, selected, {
        name: typeof clientInfo.name === 'string' ? clientInfo.name : 'client',
        version: typeof clientInfo.version === 'string' ? clientInfo.version : '0',
      });
      result = runtime.initializeResult();
    } catch (error) {
      await this.deps.registry.end(session.tenant, session.id, 'initialize failed');
      // An egress-policy refusal was logged with its reason by the session host; the client learns only that it was one.
      const failure = error instanceof GatewayError ? error : new GatewayError('upstream_unavailable', { cause: error });
      if (failure.code !== 'upstream_blocked') this.deps.logger.warn({ err: error, tenant: route.tenant }, 'initialize failed');
      // The session era answers the initialize request itself with the error (HTTP 200), not an HTTP refusal.
      return sendJson(response, 200, jsonRpcErrorResponse(init.id, jsonRpcErrorOf(failure)));
    }
    sendJson(response, 200, { jsonrpc: '2.0', id: init.id, result }, { 'mcp-session-id': session.id });
  }

  async get(request: RawRequest, response: RawResponse, route: Route, auth: AuthOutcome): Promise<void> {
    checkGetAccept(request.headers);
    requestProtocolVersion(request.headers);
    const session = await this.session(request, route, auth, { adopt: true });
    const lastEventId = request.headers['last-event-id'];
    const resume = typeof lastEventId === 'string' ? SseEventLog.parseEventId(lastEventId) : undefined;
    // Resume only a stream of this very session: a forged or foreign id finds no stream and replays nothing.
    if (resume && (await this.deps.log.exists(session.id, resume.streamId))) {
      return this.pump(response, session, resume.streamId, resume.entryId, true);
    }
    const streamId = SseEventLog.newStreamId();
    await this.deps.host.setStandaloneStream(session.id, streamId);
    const priming = supportsPrimingEvents(session.protocolVersion) ? await this.deps.log.append(session.id, streamId, { kind: 'priming' }) : undefined;
    this.pump(response, session, streamId, '0', false, priming);
  }

  /** Graceful shutdown: every open stream is told when to come back, and closed. */
  drain(): void {
    for (const pump of [...this.pumps]) pump.closeForRetry(this.deps.options.retryMs);
  }
}

/** The upstreams a session of this endpoint opens: its one server, or every aggregatable one. */
function selectUpstreams(route: Route, servers: UpstreamServerRecord[]): UpstreamServerRecord[] {
  const target = route.target;
  return target.kind === 'server' ? servers.filter((server) => server.name === target.server) : servers.filter((server) => aggregatable(server.name));
}
