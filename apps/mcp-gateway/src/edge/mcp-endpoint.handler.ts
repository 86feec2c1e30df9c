import { aggregatedMcpUrl, serverMcpUrl } from '@airlock/contracts';
import { detectEra, isModernRevision, isRequest } from '@airlock/mcp-protocol';
import type { JsonRpcMessage } from '@airlock/mcp-protocol';
import { REQUEST_ID_HEADER } from '@airlock/observability';
import type { RequestTrace, Tracing } from '@airlock/tracing';
import { BearerAuth } from './bearer-auth.js';
import type { AuthOutcome } from './bearer-auth.js';
import { GatewayError } from '../errors/gateway-error.js';
import { errorResponse, toGatewayError } from '../errors/error-response.js';
import { Client2026Endpoint } from './client-2026/client-2026-endpoint.js';
import { Client2025Endpoint } from './client-2025/client-2025-endpoint.js';
import type { TenantRecord, UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { splitName, toolTarget } from '../router/namespacing.js';
import { NO_TOOL_CALL_OBSERVERS, refusalOutcome } from '../observe/tool-call-observer.js';
import { checkContentType, checkHostAndOrigin, checkPostAccept } from './request-validation.js';
import type { RawResponse } from '../streams/sse-stream-pump.js';
import { headerOf, node, parseLoosely, parseRoute, readBody, requireMcpScope, sendJson } from './edge-request.js';
import type { EndpointDeps, RawRequest, Route } from './edge-request.js';

export type { EndpointDeps, EndpointOptions } from './edge-request.js';

/**
 * The Streamable HTTP endpoint (2025-11-25) of every tenant: `/t/<tenant>/mcp` (the aggregate) and
 * `/t/<tenant>/servers/<name>/mcp`. Order of checks: route, Host/Origin, tenant, token, then the
 * transport rules of the method; then the era: a POST whose body speaks 2026-07-28 goes to the stateless
 * adapter (client-2026/), everything else to the session adapter (client-2025/).
 */
export class McpEndpointHandler {
  private draining = false;

  private readonly client2026: Client2026Endpoint;
  private readonly client2025: Client2025Endpoint;

  /** The gateway's own Host/Origin policy (tenants add origins per request). */
  private readonly hostPolicy: Parameters<typeof checkHostAndOrigin>[1];
  /** Set only when tracing is on: the one check the hot path makes when it is off. */
  private readonly tracing: Tracing | undefined;

  constructor(private readonly deps: EndpointDeps) {
    this.tracing = deps.tracing?.enabled ? deps.tracing : undefined;
    this.hostPolicy = { allowedHosts: deps.options.allowedHosts, allowedOrigins: deps.options.allowedOrigins, loopbackOrigins: deps.options.loopbackBind };
    this.client2026 = deps.client2026 ?? new Client2026Endpoint(deps.host.upstreamAccess());
    this.client2025 = new Client2025Endpoint(deps, {
      rateLimit: (tenant, sessionId) => this.rateLimit(tenant, sessionId),
      checkToolScopes: (messages, route, tenant, resource, auth) => this.checkToolScopes(messages, route, tenant, resource, auth),
      upstreams: (tenant, route, auth) => this.upstreams(tenant, route, auth),
    });
  }

  readonly handle = async (request: RawRequest, response: RawResponse): Promise<void> => {
    const trace = this.tracing ? this.beginTrace(this.tracing, request, response) : undefined;
    try {
      await this.dispatch(request, response, trace);
    } catch (error) {
      if (response.headersSent) {
        response.end();
        return;
      }
      const refusal = toGatewayError(error);
      trace?.fail(refusal);
      // The log line carries the request id the client got in its x-request-id header; the client body never carries a stack.
      const requestId = node(response).getHeader(REQUEST_ID_HEADER);
      if (refusal.code === 'dependency_unavailable') this.deps.logger.warn({ err: refusal.cause ?? refusal, request_id: requestId }, 'MCP endpoint dependency unavailable');
      else if (refusal.code === 'internal') this.deps.logger.error({ err: refusal.cause ?? refusal, request_id: requestId }, 'MCP endpoint failed');
      const answer = errorResponse(refusal);
      return sendJson(response, answer.status, answer.body, answer.headers);
    }
  };

  /** The request's server span (tracing on), ended when its response is. */
  private beginTrace(tracing: Tracing, request: RawRequest, response: RawResponse): RequestTrace {
    const trace = tracing.begin(request.headers, `${request.method ?? 'HTTP'} /t/{tenant}/mcp`, { 'http.request.method': request.method ?? '', 'network.protocol.name': 'http', 'network.transport': 'tcp' });
    node(response).once('close', () => trace.end(node(response).statusCode));
    return trace;
  }

  private resourceUrl(route: Route): string {
    return route.target.kind === 'aggregated'
      ? aggregatedMcpUrl(this.deps.options.publicUrl, route.tenant)
      : serverMcpUrl(this.deps.options.publicUrl, route.tenant, route.target.server);
  }

  private async dispatch(request: RawRequest, response: RawResponse, trace: RequestTrace | undefined): Promise<void> {
    const rawUrl = request.url ?? '/';
    const route = parseRoute(rawUrl);
    if (!route) throw new GatewayError('not_found');
    const tenant = await this.deps.directory.tenant(route.tenant);
    // The tenant's origins are read only when the request has an Origin (browsers); no per-request set or policy object.
    checkHostAndOrigin(request.headers, this.hostPolicy, tenant?.allowedOrigins);
    if (!tenant) throw new GatewayError('not_found');
    let server: UpstreamServerRecord | undefined;
    if (route.target.kind === 'server') {
      const name = route.target.server;
      server = (await this.deps.directory.upstreamServers(tenant.id)).find((candidate) => candidate.name === name);
      if (!server) throw new GatewayError('not_found');
    }
    if (this.draining) throw new GatewayError('shutting_down');
    const resource = this.resourceUrl(route);
    let auth: AuthOutcome;
    try {
      const credentials = { rawUrl, authorization: request.headers.authorization, tenant: route.tenant, resource };
      auth = trace ? await trace.step('airlock.auth.verify_token', undefined, () => this.deps.auth.authenticate(credentials)) : await this.deps.auth.authenticate(credentials);
    } catch (error) {
      if (request.method === 'POST') await this.observeUnauthenticated(request, route, error, response);
      throw error;
    }

    // A new-era client has no GET stream and no session to DELETE: answered like a 2026-07-28-only server.
    const versionHeader = headerOf(request, 'mcp-protocol-version')?.trim();
    if (request.method !== 'POST' && versionHeader !== undefined && isModernRevision(versionHeader)) {
      throw new GatewayError('method_not_allowed', { message: 'Method not allowed: protocol revision 2026-07-28 uses POST only', allow: 'POST' });
    }
    switch (request.method) {
      case 'POST':
        return this.post(request, response, route, tenant, resource, auth, server && (await this.withEra(server, route, auth)), trace);
      case 'GET':
        return this.client2025.get(request, response, route, auth);
      case 'DELETE':
        return this.client2025.delete(request, response, route, auth);
      default:
        node(response).writeHead(405, { allow: 'GET, POST, DELETE' }).end();
    }
  }

  /** A server's record with the era to speak to it (UpstreamEras): what decides the upstream-facing adapter. */
  private withEra(server: UpstreamServerRecord, route: Route, auth: AuthOutcome): Promise<UpstreamServerRecord> {
    return this.deps.eras ? this.deps.eras.resolve(server, { tenant: route.tenant, bearer: () => auth.bearer }) : Promise.resolve(server);
  }

  private async upstreams(tenant: TenantRecord, route: Route, auth: AuthOutcome): Promise<UpstreamServerRecord[]> {
    const servers = await this.deps.directory.upstreamServers(tenant.id);
    return this.deps.eras ? this.deps.eras.resolveAll(servers, { tenant: route.tenant, bearer: () => auth.bearer }) : servers;
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
    trace: RequestTrace | undefined,
  ): Promise<void> {
    checkPostAccept(request.headers);
    checkContentType(request.headers);
    // The body decides the era (a 2026-07-28 request carries its revision in `_meta`), so it is read before
    // the 2025 protocol-version check, which would refuse the new revision with a 400.
    const body = await readBody(request, this.deps.options.bodyLimitBytes);
    const parsed = parseLoosely(body);
    if (trace) {
      openServerSpan(trace, request, route, tenant, server, parsed);
      return trace.run(() => this.postParsed(request, response, route, tenant, resource, auth, server, body, parsed));
    }
    return this.postParsed(request, response, route, tenant, resource, auth, server, body, parsed);
  }

  private postParsed(
    request: RawRequest,
    response: RawResponse,
    route: Route,
    tenant: TenantRecord,
    resource: string,
    auth: AuthOutcome,
    server: UpstreamServerRecord | undefined,
    body: Buffer,
    parsed: unknown,
  ): Promise<void> {
    if (detectEra({ httpMethod: 'POST', header: (name) => headerOf(request, name), body: parsed }) === 'modern') {
      // 2026-07-28 has no initialize: every request is the first, and each needs the `mcp` scope.
      requireMcpScope(resource, auth);
      const closed = new AbortController();
      response.once('close', () => {
        if (!response.writableFinished) closed.abort();
      });
      return this.client2026.handle({
        tenant,
        server,
        servers: () => this.upstreams(tenant, route, auth),
        auth,
        headers: request.headers,
        body,
        message: parsed,
        closed: closed.signal,
        response,
        rateLimit: () => this.rateLimit(route.tenant, undefined),
        checkToolScopes: (message) => this.checkToolScopes([{ jsonrpc: '2.0', id: 0, ...message } as JsonRpcMessage], route, tenant, resource, auth),
        disabledTools: (upstream) => this.deps.directory.disabledTools(upstream.id),
        ...(this.deps.pinning ? { gateTools: (upstream, tools) => this.deps.pinning!.gate(tenant.slug, upstream, tools), toolVersion: (upstream, tool) => this.deps.pinning!.version(tenant.slug, upstream, tool) } : {}),
      });
    }
    return this.client2025.post(request, response, route, tenant, resource, auth, body, parsed);
  }

  /**
   * The tools/call of a POST refused for its token (401, 400, 403, 503 from the verifier), observed as refused
   * with that code. The body is read only when an observer listens, within the body limit; what is
   * observable: the endpoint's server and the tool the body names, the era (header or `_meta` claim) and
   * the protocol version header. Nothing of the principal or the session is: neither was verified.
   */
  private async observeUnauthenticated(request: RawRequest, route: Route, error: unknown, response: RawResponse): Promise<void> {
    const observer = this.deps.observer ?? NO_TOOL_CALL_OBSERVERS;
    if (!observer.watching) return;
    let parsed: unknown;
    try {
      parsed = parseLoosely(await readBody(request, this.deps.options.bodyLimitBytes));
    } catch {
      return; // Too large or broken: the refusal stands, there is nothing to observe.
    }
    const era = detectEra({ httpMethod: 'POST', header: (name) => headerOf(request, name), body: parsed }) === 'modern' ? '2026-07-28' : '2025-11-25';
    const requestId = node(response).getHeader(REQUEST_ID_HEADER);
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof message !== 'object' || message === null || (message as { method?: unknown }).method !== 'tools/call') continue;
      const params = (message as { params?: Record<string, unknown> }).params;
      const target = toolTarget(route.target.kind === 'server' ? route.target.server : undefined, String(params?.['name'] ?? ''));
      const startedAt = Date.now();
      observer.after(
        {
          tenant: route.tenant,
          sessionId: undefined,
          subject: undefined,
          clientId: undefined,
          server: target.server,
          tool: target.tool,
          era,
          protocolVersion: headerOf(request, 'mcp-protocol-version'),
          requestId: typeof requestId === 'string' ? requestId : undefined,
          startedAt,
        },
        refusalOutcome(error, startedAt),
      );
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

  /** Graceful shutdown: refuse new requests, tell every open stream when to come back, and close it. */
  drain(): void {
    this.draining = true;
    void this.client2026.close().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'closing bridged upstream sessions failed'));
    this.client2025.drain();
  }
}

type Params = Record<string, unknown>;
const isParams = (value: unknown): value is Params => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Names the server span after the MCP request it carries (OpenTelemetry MCP semantic conventions:
 * `{mcp.method.name} {target}`, the target being the tool or prompt), with the request's attributes; its
 * parent is the request's `params._meta.traceparent`, else the `traceparent` header. A batch (2025-03-26)
 * is named after its first message.
 */
function openServerSpan(trace: RequestTrace, request: RawRequest, route: Route, tenant: TenantRecord, server: UpstreamServerRecord | undefined, parsed: unknown): void {
  const message = Array.isArray(parsed) ? parsed[0] : parsed;
  const attributes: Record<string, string | number | boolean> = { 'airlock.tenant': route.tenant, 'airlock.tenant.id': tenant.id };
  if (server) {
    attributes['airlock.server'] = server.name;
    attributes['airlock.server.id'] = server.id;
  }
  const sessionId = headerOf(request, 'mcp-session-id');
  if (sessionId) attributes['mcp.session.id'] = sessionId;
  if (!isParams(message) || typeof message['method'] !== 'string') {
    const version = headerOf(request, 'mcp-protocol-version');
    if (version) attributes['mcp.protocol.version'] = version;
    trace.open(isParams(message) && 'id' in message ? 'mcp response' : `POST /t/{tenant}/mcp`, attributes);
    return;
  }
  const method = message['method'];
  const params = isParams(message['params']) ? message['params'] : undefined;
  const meta = isParams(params?.['_meta']) ? params['_meta'] : undefined;
  attributes['mcp.method.name'] = method;
  attributes['jsonrpc.protocol.version'] = '2.0';
  if (typeof message['id'] === 'string' || typeof message['id'] === 'number') attributes['jsonrpc.request.id'] = String(message['id']);
  const version = headerOf(request, 'mcp-protocol-version') ?? meta?.['io.modelcontextprotocol/protocolVersion'] ?? (method === 'initialize' ? params?.['protocolVersion'] : undefined);
  if (typeof version === 'string') attributes['mcp.protocol.version'] = version;
  let target: string | undefined;
  if (method === 'tools/call' && typeof params?.['name'] === 'string') {
    target = params['name'];
    attributes['gen_ai.tool.name'] = target;
    attributes['gen_ai.operation.name'] = 'execute_tool';
    if (!server) {
      const split = splitName(target);
      if (split) attributes['airlock.server'] = split.server;
    }
  } else if (method === 'prompts/get' && typeof params?.['name'] === 'string') {
    target = params['name'];
    attributes['gen_ai.prompt.name'] = target;
  }
  trace.open(target === undefined ? method : `${method} ${target}`, attributes, meta);
}
