import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { aggregatedMcpUrl, Scopes, serverMcpUrl, tenantSlugSchema } from '@airlock/contracts';
import { detectEra, isModernRevision, isRequest, jsonRpcErrorResponse, negotiateLegacyProtocolVersion, supportsPrimingEvents } from '@airlock/mcp-protocol';
import type { JsonRpcMessage, JsonRpcRequest } from '@airlock/mcp-protocol';
import { REQUEST_ID_HEADER } from '@airlock/observability';
import type { Logger } from '@airlock/observability';
import { BearerAuth } from '../auth/bearer-auth.js';
import { GatewayError } from '../errors/gateway-error.js';
import { errorResponse, jsonRpcErrorOf, toGatewayError } from '../errors/error-response.js';
import { ModernEndpoint } from '../eras/modern-endpoint.js';
import type { AuthOutcome } from '../auth/bearer-auth.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { ReplicaBus } from '../sessions/replica-bus.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { EndpointTarget, GatewaySession, SessionDirectory } from '../sessions/session-directory.js';
import type { TenantDirectory, TenantRecord, UpstreamServerRecord } from '../tenants/tenant-directory.js';
import type { UpstreamEras } from '../upstream/upstream-eras.js';
import { SERVER_NAME, aggregatable, splitName } from '../upstream/namespacing.js';
import { NO_TOOL_CALL_OBSERVERS, refusalOutcome, toolTarget } from '../observe/tool-call-observer.js';
import type { ToolCallObservers } from '../observe/tool-call-observer.js';
import {
  checkContentType,
  checkGetAccept,
  checkHostAndOrigin,
  checkPostAccept,
  messagesOf,
  parseMessages,
  requestProtocolVersion,
} from './request-validation.js';
import { SseEventLog } from './sse-event-log.js';
import { DirectStreamTimers, directStream, pumpStream } from './sse-stream-pump.js';
import type { Pump, RawResponse } from './sse-stream-pump.js';

type RawRequest = IncomingMessage | Http2ServerRequest;

export interface EndpointOptions {
  publicUrl: string;
  /** Host names accepted in `Host` (the public host, plus loopback names for a loopback bind). */
  allowedHosts: ReadonlySet<string>;
  /** Origins allowed for every tenant (the gateway's own), tenants add theirs in settings. */
  allowedOrigins: ReadonlySet<string>;
  /** Bound to the loopback: pages served from loopback origins may call it (DNS rebinding still fails on Host). */
  loopbackBind: boolean;
  bodyLimitBytes: number;
  retryMs: number;
  keepAliveMs: number;
  /** How long a POST's priming event waits for the answer to leave with it (home replica only). */
  primingDelayMs?: number;
}

/**
 * Long enough for most answers, even under load (then the priming event, the answer and the end of the
 * stream are one Redis write and one HTTP write instead of two each), short beside any reconnection.
 */
const PRIMING_DELAY_MS = 100;

export interface EndpointDeps {
  options: EndpointOptions;
  auth: BearerAuth;
  directory: TenantDirectory;
  registry: SessionDirectory;
  host: SessionHost;
  bus: ReplicaBus;
  log: SseEventLog;
  rateLimiter: RateLimiter;
  /** Sees the tools/call requests this edge refuses (429, 403 insufficient_scope) in a session. */
  observer?: ToolCallObservers;
  logger: Logger;
  /** The 2026-07-28 (stateless) side of the same endpoints; built from the session host's upstream access when omitted. */
  modern?: ModernEndpoint;
  /** Which era each upstream speaks (pinned, recorded or probed); records are used as read when omitted. */
  eras?: UpstreamEras;
}

interface Route {
  tenant: string;
  target: EndpointTarget;
}

const ROUTE = /^\/t\/([^/]+)\/(?:mcp|servers\/([^/]+)\/mcp)$/;

function parseRoute(rawUrl: string): Route | undefined {
  const path = rawUrl.split('?', 1)[0]!;
  const match = ROUTE.exec(path);
  if (!match || !tenantSlugSchema.safeParse(match[1]).success) return undefined;
  if (match[2] !== undefined && !SERVER_NAME.test(match[2])) return undefined;
  return { tenant: match[1]!, target: match[2] === undefined ? { kind: 'aggregated' } : { kind: 'server', server: match[2] } };
}

// Both response types share these methods; TypeScript cannot call the union's overloads.
const node = (response: RawResponse) => response as ServerResponse;

function sendJson(response: RawResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  node(response).writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json), ...headers });
  response.end(json);
}

/** The whole body, refused with 413 past `limit` (listeners, not an async iterator: this runs per call). */
function readBody(request: RawRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new GatewayError('payload_too_large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      request.off('data', onData);
      request.resume();
      reject(new GatewayError('payload_too_large'));
    };
    request.on('data', onData);
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.once('error', reject);
    request.once('aborted', () => reject(new Error('request aborted')));
  });
}

function headerOf(request: RawRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The body as JSON for era detection only; a body that is not JSON is the legacy path's -32700. */
function parseLoosely(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The Streamable HTTP endpoint (2025-11-25) of every tenant: `/t/<tenant>/mcp` (the aggregate) and
 * `/t/<tenant>/servers/<name>/mcp`. Order of checks: route, Host/Origin, tenant, token, then the
 * transport rules of the method; a session is resolved only for an authenticated principal, and a
 * session of anyone else is indistinguishable from one that does not exist (404).
 */
export class McpEndpointHandler {
  private readonly pumps = new Set<Pump>();
  private draining = false;

  private readonly modern: ModernEndpoint;
  private readonly timers: DirectStreamTimers;

  constructor(private readonly deps: EndpointDeps) {
    this.modern = deps.modern ?? new ModernEndpoint(deps.host.upstreamAccess());
    this.timers = new DirectStreamTimers({ keepAliveMs: deps.options.keepAliveMs, primingDelayMs: deps.options.primingDelayMs ?? PRIMING_DELAY_MS });
  }

  readonly handle = async (request: RawRequest, response: RawResponse): Promise<void> => {
    try {
      await this.dispatch(request, response);
    } catch (error) {
      if (response.headersSent) {
        response.end();
        return;
      }
      const refusal = toGatewayError(error);
      // The log line carries the request id the client got in its x-request-id header; the client body never carries a stack.
      const requestId = node(response).getHeader(REQUEST_ID_HEADER);
      if (refusal.code === 'dependency_unavailable') this.deps.logger.warn({ err: refusal.cause ?? refusal, request_id: requestId }, 'MCP endpoint dependency unavailable');
      else if (refusal.code === 'internal') this.deps.logger.error({ err: refusal.cause ?? refusal, request_id: requestId }, 'MCP endpoint failed');
      const answer = errorResponse(refusal);
      return sendJson(response, answer.status, answer.body, answer.headers);
    }
  };

  private resourceUrl(route: Route): string {
    return route.target.kind === 'aggregated'
      ? aggregatedMcpUrl(this.deps.options.publicUrl, route.tenant)
      : serverMcpUrl(this.deps.options.publicUrl, route.tenant, route.target.server);
  }

  private async dispatch(request: RawRequest, response: RawResponse): Promise<void> {
    const rawUrl = request.url ?? '/';
    const route = parseRoute(rawUrl);
    if (!route) throw new GatewayError('not_found');
    const tenant = await this.deps.directory.tenant(route.tenant);
    const gatewayOrigins = this.deps.options.allowedOrigins;
    const tenantOrigins = tenant?.allowedOrigins ?? [];
    // Read only when the request has an Origin (browsers); no per-request set of both lists.
    const origins: Pick<ReadonlySet<string>, 'has'> = { has: (origin) => gatewayOrigins.has(origin) || tenantOrigins.includes(origin) };
    checkHostAndOrigin(request.headers, { allowedHosts: this.deps.options.allowedHosts, allowedOrigins: origins, loopbackOrigins: this.deps.options.loopbackBind });
    if (!tenant) throw new GatewayError('not_found');
    let server: UpstreamServerRecord | undefined;
    if (route.target.kind === 'server') {
      const name = route.target.server;
      server = (await this.deps.directory.upstreamServers(tenant.id)).find((candidate) => candidate.name === name);
      if (!server) throw new GatewayError('not_found');
    }
    if (this.draining) throw new GatewayError('shutting_down');
    const resource = this.resourceUrl(route);
    const auth = await this.deps.auth.authenticate({ rawUrl, authorization: request.headers.authorization, tenant: route.tenant, resource });

    // A new-era client has no GET stream and no session to DELETE: answered like a 2026-07-28-only server.
    const versionHeader = headerOf(request, 'mcp-protocol-version')?.trim();
    if (request.method !== 'POST' && versionHeader !== undefined && isModernRevision(versionHeader)) {
      throw new GatewayError('method_not_allowed', { message: 'Method not allowed: protocol revision 2026-07-28 uses POST only', allow: 'POST' });
    }
    switch (request.method) {
      case 'POST':
        return this.post(request, response, route, tenant, resource, auth, server && (await this.withEra(server, route, auth)));
      case 'GET':
        return this.get(request, response, route, auth);
      case 'DELETE': {
        const session = await this.session(request, route, auth);
        await this.deps.registry.end(session.tenant, session.id, 'deleted by the client');
        node(response).writeHead(200).end();
        return;
      }
      default:
        node(response).writeHead(405, { allow: 'GET, POST, DELETE' }).end();
    }
  }

  /** A server's record with the era to speak to it (UpstreamEras): what decides the upstream-facing adapter. */
  private withEra(server: UpstreamServerRecord, route: Route, auth: AuthOutcome): Promise<UpstreamServerRecord> {
    return this.deps.eras ? this.deps.eras.resolve(server, { tenant: route.tenant, userToken: () => auth.token }) : Promise.resolve(server);
  }

  private async upstreams(tenant: TenantRecord, route: Route, auth: AuthOutcome): Promise<UpstreamServerRecord[]> {
    const servers = await this.deps.directory.upstreamServers(tenant.id);
    return this.deps.eras ? this.deps.eras.resolveAll(servers, { tenant: route.tenant, userToken: () => auth.token }) : servers;
  }

  private bearerOf(auth: AuthOutcome): string {
    return auth.token;
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

  private async rateLimit(tenant: string, sessionId: string | undefined): Promise<void> {
    const retryAfter = await this.deps.rateLimiter.check(tenant, sessionId);
    if (retryAfter > 0) throw new GatewayError('rate_limited', { retryAfterSeconds: retryAfter });
  }

  private async post(
    request: RawRequest,
    response: RawResponse,
    route: Route,
    tenant: TenantRecord,
    resource: string,
    auth: AuthOutcome,
    server: UpstreamServerRecord | undefined,
  ): Promise<void> {
    checkPostAccept(request.headers);
    checkContentType(request.headers);
    // The body decides the era (a 2026-07-28 request carries its revision in `_meta`), so it is read before
    // the legacy protocol-version check, which would refuse the new revision with a 400.
    const body = await readBody(request, this.deps.options.bodyLimitBytes);
    const parsed = parseLoosely(body);
    if (detectEra({ httpMethod: 'POST', header: (name) => headerOf(request, name), body: parsed }) === 'modern') {
      // 2026-07-28 has no initialize: every request is the first, and each needs the `mcp` scope.
      requireMcpScope(resource, auth);
      const closed = new AbortController();
      response.once('close', () => {
        if (!response.writableFinished) closed.abort();
      });
      return this.modern.handle({
        tenant,
        server,
        servers: () => this.upstreams(tenant, route, auth),
        auth,
        headers: request.headers,
        body,
        closed: closed.signal,
        response,
        rateLimit: () => this.rateLimit(route.tenant, undefined),
        checkToolScopes: (message) => this.checkToolScopes([{ jsonrpc: '2.0', id: 0, ...message } as JsonRpcMessage], route, tenant, resource, auth),
      });
    }
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
      await this.rateLimit(route.tenant, undefined);
      return this.initialize(response, route, tenant, auth, initRequest);
    }
    const session = await this.session(request, route, auth);
    if (batch && session.protocolVersion >= '2025-06-18') {
      throw new GatewayError('invalid_request', { message: `Invalid Request: JSON-RPC batches are not supported in ${session.protocolVersion}` });
    }
    try {
      await this.rateLimit(route.tenant, session.id);
      await this.checkToolScopes(messages, route, tenant, resource, auth);
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
        ...(exchanges ? { bearer: this.bearerOf(auth) } : {}),
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

  /**
   * A POST on the session's home replica: the runtime's output is written straight to this response as
   * it is produced, and appended to the event log behind it (for a resume on any replica); a quick lone
   * answer is one JSON body instead (see `directStream`).
   */
  private async postHere(response: RawResponse, session: GatewaySession, auth: AuthOutcome, messages: JsonRpcMessage[], requestCount: number): Promise<void> {
    // The newest token of the session: what token exchange trades; it stays in this process.
    this.deps.host.rememberUserToken(session.id, this.bearerOf(auth));
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

  /** 403 before anything runs when a called tool needs scopes the token lacks (catalogue in `tools`). */
  private async checkToolScopes(messages: JsonRpcMessage[], route: Route, tenant: TenantRecord, resource: string, auth: AuthOutcome): Promise<void> {
    for (const message of messages) {
      if (!isRequest(message) || message.method !== 'tools/call') continue;
      const rawName = String(message.params?.['name'] ?? '');
      const target = route.target.kind === 'server' ? { server: route.target.server, name: rawName } : splitName(rawName);
      if (!target) continue;
      const server = (await this.deps.directory.upstreamServers(tenant.id)).find((candidate) => candidate.name === target.server);
      if (!server) continue;
      const required = (await this.deps.directory.toolScopes(server.id)).get(target.name) ?? [];
      const missing = required.filter((scope) => !auth.scopes.has(scope));
      if (missing.length > 0) throw BearerAuth.insufficientScope(resource, required);
    }
  }

  private async initialize(response: RawResponse, route: Route, tenant: TenantRecord, auth: AuthOutcome, init: JsonRpcRequest): Promise<void> {
    const params = init.params ?? {};
    const clientInfo = (params['clientInfo'] ?? {}) as { name?: unknown; version?: unknown };
    const protocolVersion = negotiateLegacyProtocolVersion(params['protocolVersion']);
    const servers = await this.upstreams(tenant, route, auth);
    const selected = route.target.kind === 'server' ? servers.filter((server) => server.name === (route.target as { server: string }).server) : servers.filter((server) => aggregatable(server.name));
    const bearer = this.bearerOf(auth);
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
    this.deps.host.rememberUserToken(session.id, bearer);
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

  private async get(request: RawRequest, response: RawResponse, route: Route, auth: AuthOutcome): Promise<void> {
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

  /** Graceful shutdown: refuse new requests, tell every open stream when to come back, and close it. */
  drain(): void {
    this.draining = true;
    void this.modern.close().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'closing bridged upstream sessions failed'));
    for (const pump of [...this.pumps]) pump.closeForRetry(this.deps.options.retryMs);
  }
}

/**
 * Opening a session (and every 2026-07-28 request) needs the `mcp` scope: a token granted only other
 * scopes (a client_credentials token that asked for none, say) is 403 insufficient_scope (RFC 6750 3.1).
 */
function requireMcpScope(resource: string, auth: AuthOutcome): void {
  if (!auth.scopes.has(Scopes.mcp)) throw BearerAuth.insufficientScope(resource, [Scopes.mcp]);
}
