import { isRequest, jsonRpcErrorResponse, negotiateLegacyProtocolVersion, supportsPrimingEvents } from '@airlock/mcp-protocol';
import type { JsonRpcMessage, JsonRpcRequest } from '@airlock/mcp-protocol';
import { REQUEST_ID_HEADER } from '@airlock/observability';
import type { AuthOutcome } from '../bearer-auth.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { jsonRpcErrorOf } from '../../errors/error-response.js';
import type { EndpointTarget, GatewaySession } from '../../sessions/session-directory.js';
import type { TenantRecord, UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import { aggregatable, toolTarget } from '../../router/namespacing.js';
import { NO_TOOL_CALL_OBSERVERS, refusalOutcome } from '../../observe/tool-call-observer.js';
import { SseEventLog } from '../../streams/sse-event-log.js';
import { DirectStreamTimers, directStream, pumpStream } from '../../streams/sse-stream-pump.js';
import type { Pump, RawResponse } from '../../streams/sse-stream-pump.js';
import { checkGetAccept, messagesOf, parseMessages, requestProtocolVersion } from '../request-validation.js';
import { PRIMING_DELAY_MS, node, requireMcpScope, sendJson } from '../edge-request.js';
import type { EndpointDeps, RawRequest, Route } from '../edge-request.js';

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
    const session = await this.session(request, route, auth);
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
        ...(streamId ? { streamId } : {}),
        ...(exchanges ? { bearer: auth.bearer } : {}),
      };
      if (session.home === this.deps.bus.replicaId) await this.deps.host.deliver(forwarded);
      else await this.deps.bus.forward(session.home, forwarded);
    };
    if (requests.length === 0) {
      await forward(undefined);
      node(response).writeHead(202).end();
      return;
    }
    const streamId = SseEventLog.newStreamId();
    const priming = supportsPrimingEvents(session.protocolVersion) ? await this.deps.log.append(session.id, streamId, { kind: 'priming' }) : undefined;
    this.pump(response, session, streamId, '0', false, priming);
    void forward(streamId).catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not deliver a request to its session'));
  }

  async delete(request: RawRequest, response: RawResponse, route: Route, auth: AuthOutcome): Promise<void> {
    const session = await this.session(request, route, auth);
    await this.deps.registry.end(session.tenant, session.id, 'deleted by the client');
    node(response).writeHead(200).end();
  }

  /** The session named by the request, if it exists, is alive and belongs to this principal and endpoint. */
  private async session(request: RawRequest, route: Route, auth: AuthOutcome): Promise<GatewaySession> {
    const header = request.headers['mcp-session-id'];
    if (typeof header !== 'string' || header === '') throw new GatewayError('bad_request', { message: 'Bad Request: Mcp-Session-Id header is required' });
    const session = await this.deps.registry.find(route.tenant, header);
    const sameTarget = (a: EndpointTarget, b: EndpointTarget) => a.kind === b.kind && (a.kind === 'aggregated' || a.server === (b as { server: string }).server);
    const owned =
      session !== undefined &&
      session.tenant === route.tenant &&
      sameTarget(session.target, route.target) &&
      session.subject === auth.claims.sub &&
      session.clientId === auth.claims.client_id;
    if (!owned) throw new GatewayError('session_not_found');
    if (!(await this.deps.bus.isAlive(session.home))) {
      await this.deps.registry.end(session.tenant, session.id, 'home replica is gone');
      throw new GatewayError('session_not_found');
    }
    await this.deps.registry.touch(session);
    return session;
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
    if (requestCount === 0) {
      await this.deps.host.deliver({ tenant: session.tenant, sessionId: session.id, messages, grantedScopes });
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
      .deliver({ tenant: session.tenant, sessionId: session.id, messages, grantedScopes, streamId })
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
      } as const;
      observer.after(call, refusalOutcome(error, startedAt));
    }
  }

  private async initialize(response: RawResponse, route: Route, tenant: TenantRecord, auth: AuthOutcome, init: JsonRpcRequest): Promise<void> {
    const params = init.params ?? {};
    const clientInfo = (params['clientInfo'] ?? {}) as { name?: unknown; version?: unknown };
    const protocolVersion = negotiateLegacyProtocolVersion(params['protocolVersion']);
    const servers = await this.edge.upstreams(tenant, route, auth);
    const selected = route.target.kind === 'server' ? servers.filter((server) => server.name === (route.target as { server: string }).server) : servers.filter((server) => aggregatable(server.name));
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
    const session = await this.session(request, route, auth);
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
