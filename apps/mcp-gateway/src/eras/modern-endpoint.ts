import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  McpHeaders,
  MetaKeys,
  SUPPORTED_PROTOCOL_VERSIONS,
  encodeHeaderValue,
  isEmptyFilter,
  parseListenFilter,
  validateModernRequest,
} from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, JsonRpcId, ModernRequest, SubscriptionFilter } from '@airlock/mcp-protocol';
import { REQUEST_ID_HEADER } from '@airlock/observability';
import type { Logger } from '@airlock/observability';
import type { AuthOutcome } from '../auth/bearer-auth.js';
import type { TenantRecord, UpstreamServerRecord } from '../tenants/tenant-directory.js';
import { openUpstreamSecrets } from '../upstream/upstream-credentials.js';
import type { UpstreamCredentials } from '../upstream/upstream-credentials.js';
import { upstreamFailureFields } from '../upstream/upstream-egress.js';
import type { UpstreamEras } from '../upstream/upstream-eras.js';
import { LegacyUpstreamBridge } from './legacy-upstream-bridge.js';
import type { BridgeAnswer, LegacyBridgeDeps } from './legacy-upstream-bridge.js';
import type { RawResponse } from '../transport/sse-stream-pump.js';
import { serveAggregated } from './modern-aggregate.js';
import { DEFAULT_AGGREGATE_LIST_MAX_ITEMS } from '../upstream/aggregated-list.js';
import { namespacedName } from '../upstream/namespacing.js';
import { UpstreamToolList, withoutDisabledTools } from '../upstream/upstream-tool-list.js';
import { isModernUpstream } from '../upstream/upstream-connection.js';
import { GatewayError } from '../errors/gateway-error.js';
import { errorAnswer, errorResponse, jsonRpcErrorOf } from '../errors/error-response.js';
import { openAggregatedListen } from './subscriptions-aggregate.js';
import { openLegacyListen } from './subscriptions-legacy.js';
import { openModernListen } from './subscriptions-modern.js';
import { ListenStream, readSseMessages } from './subscriptions-stream.js';
import type { ListenSource } from './subscriptions-stream.js';
import { NO_TOOL_CALL_OBSERVERS, refusalOutcome, toolTarget } from '../observe/tool-call-observer.js';
import type { ToolCallContext, ToolCallObservers, ToolCallOutcome } from '../observe/tool-call-observer.js';

/** Everything the 2026-07-28 path needs from the request entry, which has already done route, Host/Origin, tenant and token. */
export interface ModernCall {
  tenant: TenantRecord;
  /** The upstream a per-server endpoint names; undefined on the aggregated endpoint. */
  server: UpstreamServerRecord | undefined;
  /** The tenant's upstreams (the aggregated endpoint routes among them). */
  servers(): Promise<UpstreamServerRecord[]>;
  auth: AuthOutcome;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Fires when the client closes the connection: the call is cancelled upstream. */
  closed: AbortSignal;
  response: RawResponse;
  /** Throws the 429 (with Retry-After) the legacy path would. */
  rateLimit(): Promise<void>;
  /** Throws the 403 insufficient_scope for a `tools/call` the token may not make. */
  checkToolScopes(message: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** Tools of an upstream an admin disabled: left out of tools/list, refused on tools/call as unknown. */
  disabledTools(server: UpstreamServerRecord): Promise<ReadonlySet<string>>;
}

export interface ModernEndpointDeps extends LegacyBridgeDeps {
  credentials: UpstreamCredentials;
  /** Told when an upstream fails in the era it was thought to speak (detected again next time). */
  eras?: Pick<UpstreamEras, 'forget'>;
  masterKey: Buffer;
  logger: Logger;
  fetchImpl?: typeof fetch;
  /** Open `subscriptions/listen` streams this process serves at most (each holds upstream connections). */
  maxListenStreams?: number;
  /** Sees every tools/call, as on the 2025-11-25 path (the audit among its observers). */
  observer?: ToolCallObservers;
  /** Items of one aggregated list page before it paginates (see aggregated-list.ts). */
  aggregateListMaxItems?: number;
}

type Progress = { progress: number; total?: number; message?: string };

const node = (response: RawResponse) => response as ServerResponse;
/** Every new-era answer: never cached by intermediaries, never buffered by a reverse proxy (the spec's MUST for SSE). */
const MODERN_HEADERS = { 'cache-control': 'no-store', 'x-accel-buffering': 'no' } as const;

function sendJson(response: RawResponse, status: number, body: unknown): void {
  node(response).writeHead(status, { 'content-type': 'application/json', ...MODERN_HEADERS });
  response.end(JSON.stringify(body));
}

/** A refusal of the whole HTTP request, rendered by the gateway's one error mapper. */
function sendError(response: RawResponse, error: GatewayError, id: JsonRpcId | null = null): void {
  const answer = errorResponse(error, id);
  sendJson(response, answer.status, answer.body);
}

/**
 * How an answer goes back: as JSON, or, once a progress notification arrived for a request that asked for
 * progress (`progressToken` in `_meta`), as SSE with the notifications first and the response last.
 */
/** A tools/list answer without the tools an admin disabled. */
const hideDisabledTools = (answer: BridgeAnswer, disabled: ReadonlySet<string>): BridgeAnswer => ('result' in answer ? { ...answer, result: withoutDisabledTools(answer.result, disabled) } : answer);

function progressResponder(call: ModernCall, request: ModernRequest) {
  const { response } = call;
  const progressToken = ((request.params['_meta'] ?? {}) as Record<string, unknown>)['progressToken'];
  let streaming = false;
  const sse = (message: unknown) => node(response).write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  const onProgress =
    typeof progressToken === 'string' || typeof progressToken === 'number'
      ? (progress: Progress) => {
          if (call.closed.aborted) return;
          if (!streaming) {
            node(response).writeHead(200, { 'content-type': 'text/event-stream', ...MODERN_HEADERS });
            streaming = true;
          }
          sse({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...progress } });
        }
      : undefined;
  return {
    onProgress,
    finish(id: JsonRpcId | null, answer: BridgeAnswer): void {
      // Closing the stream cancelled the request: nothing more is sent for it.
      if (call.closed.aborted) return;
      const message = 'result' in answer ? { jsonrpc: '2.0', id, result: answer.result } : { jsonrpc: '2.0', id, error: answer.error };
      if (!streaming) return sendJson(response, answer.status, message);
      sse(message);
      response.end();
    },
  };
}

/** A tool call's outcome from its answer; `reason` is the gateway's code when the gateway made the error answer. */
function answerOutcome(answer: BridgeAnswer, startedAt: number, reason?: string): ToolCallOutcome {
  const latencyMs = Date.now() - startedAt;
  if ('error' in answer) return reason ? { kind: 'error', reason, latencyMs } : { kind: 'error', latencyMs };
  if (answer.result['resultType'] === 'input_required') return { kind: 'input_required', latencyMs };
  return { kind: answer.result['isError'] === true ? 'tool_error' : 'result', latencyMs };
}

/** Request headers a 2026-07-28 upstream must see again; nothing that authenticates the user goes upstream. */
const FORWARDED_HEADERS = ['content-type', 'accept', McpHeaders.protocolVersion, McpHeaders.method, McpHeaders.name] as const;

/**
 * The 2026-07-28 (stateless) side of every tenant endpoint. Validation is the new revision's ladder
 * (exact status and code per mismatch); a 2026-07-28 upstream then gets the request as is, with the
 * gateway's upstream credentials instead of the user's token, and its JSON or SSE answer is streamed
 * back unchanged; a session-based upstream is reached through the LegacyUpstreamBridge. A closed client
 * connection cancels the upstream request (abort; notifications/cancelled through the SDK on a 2025 one).
 */
export class ModernEndpoint {
  private readonly fetchImpl: typeof fetch;
  private readonly bridge: LegacyUpstreamBridge;
  private readonly listens = new Set<() => Promise<void>>();
  private readonly observer: ToolCallObservers;

  constructor(private readonly deps: ModernEndpointDeps) {
    this.fetchImpl = deps.fetchImpl ?? fetch;
    this.observer = deps.observer ?? NO_TOOL_CALL_OBSERVERS;
    this.bridge = new LegacyUpstreamBridge(deps);
  }

  /** Graceful shutdown: every listen stream gets its `subscriptions/listen` response and ends; bridged sessions close. */
  async close(): Promise<void> {
    await Promise.all([...this.listens].map((end) => end()));
    await this.bridge.close();
  }

  async handle(call: ModernCall): Promise<void> {
    const { response } = call;
    let body: unknown;
    try {
      body = JSON.parse(call.body.toString('utf8'));
    } catch {
      return sendError(response, new GatewayError('parse_error'));
    }
    const header = (name: string) => {
      const value = call.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const validation = validateModernRequest({ header, body, supportedVersions: SUPPORTED_PROTOCOL_VERSIONS });
    if (!validation.ok) {
      // Which versions exist is the upstream's to say (its answer must agree with its `server/discover`).
      const rejection = validation.rejection;
      if (rejection.rule === 'unsupported-version' && call.server && isModernUpstream(call.server)) {
        await call.rateLimit();
        return this.forward(call, call.server, rejection.response.id);
      }
      return sendJson(response, rejection.status, rejection.response);
    }
    const request = validation.request;
    // Session ids are ignored for new-era traffic; notifications (cancellation included) need no answer here.
    if (request.kind === 'notification') {
      node(response).writeHead(202, MODERN_HEADERS).end();
      return;
    }
    await this.admit(call, request);
    const id = request.id ?? null;
    // The per-server endpoint of a 2026-07-28 upstream relays listen streams as they are (forward, below).
    if (request.method === 'subscriptions/listen' && !(call.server && isModernUpstream(call.server))) return this.listen(call, request);
    const progress = progressResponder(call, request);
    if (!call.server) {
      // A tools/call the aggregate cannot route to any upstream never reaches `ask`: observed as refused here.
      let routed = false;
      const answer = await serveAggregated(
        await call.servers(),
        request,
        (server, sub) => {
          routed = true;
          return this.ask(call, server, sub, progress.onProgress);
        },
        (server) => this.deps.logger.warn({ server }, 'an upstream failed its list on the aggregated endpoint'),
        this.deps.aggregateListMaxItems ?? DEFAULT_AGGREGATE_LIST_MAX_ITEMS,
      );
      if (request.method === 'tools/call' && !routed) {
        const context = this.toolCall(call, request, undefined, String(request.params['name']));
        this.observer.after(context, { kind: 'refused', reason: 'unknown_tool', latencyMs: Date.now() - context.startedAt });
      }
      return progress.finish(id, answer);
    }
    const context = request.method === 'tools/call' ? this.toolCall(call, request, call.server.name, String(request.params['name'])) : undefined;
    const refused = await this.refuseUnlistedTool(call, call.server, request, String(request.params['name']), context);
    if (refused) return progress.finish(id, refused);
    if (context) this.observer.before(context);
    // A list with disabled tools is read and rewritten, not relayed byte for byte.
    const disabled = request.method === 'tools/list' ? await call.disabledTools(call.server) : undefined;
    if (disabled && disabled.size > 0) return progress.finish(id, hideDisabledTools(await this.askUpstream(call, call.server, request), disabled));
    if (isModernUpstream(call.server)) return this.forward(call, call.server, id, context);
    const claims = call.auth.claims;
    let reason: string | undefined;
    let answer: BridgeAnswer;
    try {
      answer = await this.bridge.serve(call.server, request, {
        tenant: call.tenant.slug,
        subject: claims.sub,
        clientId: claims.client_id,
        userToken: call.auth.token,
        signal: call.closed,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
    } catch (error) {
      this.deps.logger.warn({ ...upstreamFailureFields(error), server: call.server.name }, 'session-based upstream unavailable to a 2026-07-28 client');
      answer = errorAnswer(new GatewayError('upstream_unavailable'));
      reason = 'upstream_unavailable';
    }
    if (context) this.observer.after(context, answerOutcome(answer, context.startedAt, reason));
    progress.finish(id, answer);
  }

  /** The edge's refusals (429, 403 insufficient_scope) of a tools/call are observed before they are answered. */
  private async admit(call: ModernCall, request: ModernRequest): Promise<void> {
    try {
      await call.rateLimit();
      await call.checkToolScopes({ method: request.method, params: request.params });
    } catch (error) {
      if (request.method === 'tools/call') {
        const context = this.toolCall(call, request, call.server?.name, String(request.params['name']));
        this.observer.after(context, refusalOutcome(error, context.startedAt));
      }
      throw error;
    }
  }

  /** The one context of a tools/call; `shown` is the name as the client sent it. */
  private toolCall(call: ModernCall, request: ModernRequest, server: string | undefined, shown: string): ToolCallContext {
    const target = toolTarget(server, shown);
    const requestId = node(call.response).getHeader(REQUEST_ID_HEADER);
    return {
      tenant: call.tenant.slug,
      sessionId: undefined,
      subject: call.auth.claims.sub,
      clientId: call.auth.claims.client_id,
      server: target.server,
      tool: target.tool,
      era: '2026-07-28',
      protocolVersion: request.protocolVersion,
      requestId: typeof requestId === 'string' ? requestId : undefined,
      startedAt: Date.now(),
    };
  }

  /**
   * `subscriptions/listen` on a 2025-11-25 upstream (a session of its own, see subscriptions-legacy.ts) or
   * on the aggregated endpoint (every upstream fanned in). The stream lives until the client closes it
   * (the upstream sides are closed), the gateway shuts down (the listen response, then the end), or no
   * upstream is left.
   */
  private async listen(call: ModernCall, request: ModernRequest): Promise<void> {
    const { response } = call;
    const id = request.id ?? null;
    const parsed = parseListenFilter(request.params);
    if (!parsed.ok || id === null) return sendJson(response, 200, { jsonrpc: '2.0', id, error: parsed.ok ? jsonRpcErrorOf(new GatewayError('invalid_request')) : parsed.error });
    if (this.listens.size >= (this.deps.maxListenStreams ?? 1024)) {
      this.deps.logger.warn({ open: this.listens.size }, 'subscriptions/listen refused: subscription limit reached');
      // Answered inside the JSON-RPC exchange (HTTP 200): the request was valid, the gateway is at capacity.
      return sendJson(response, 200, { jsonrpc: '2.0', id, error: jsonRpcErrorOf(new GatewayError('internal', { message: 'Subscription limit reached' })) });
    }
    let source: ListenSource;
    try {
      source = call.server
        ? await this.openUpstreamListen(call, request, call.server, parsed.filter)
        : await openAggregatedListen(await call.servers(), parsed.filter, (server, filter) => this.openUpstreamListen(call, request, server, filter), this.deps.logger);
    } catch (error) {
      if (call.closed.aborted) return;
      this.deps.logger.warn({ ...upstreamFailureFields(error), server: call.server?.name }, 'upstream unavailable for subscriptions/listen');
      return sendError(response, new GatewayError('upstream_unavailable'), id);
    }
    if (call.closed.aborted) {
      await source.close().catch(() => undefined);
      return;
    }
    const stream = new ListenStream(node(response), id, MODERN_HEADERS);
    stream.start(source.honored);
    // Nothing to deliver: acknowledged, then ended deliberately.
    if (isEmptyFilter(source.honored)) {
      stream.end(true);
      await source.close().catch(() => undefined);
      return;
    }
    let done = false;
    const end = async (graceful: boolean) => {
      if (done) return;
      done = true;
      this.listens.delete(shutdown);
      stream.end(graceful);
      await source.close().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'closing the upstream side of a listen stream failed'));
    };
    const shutdown = () => end(true);
    this.listens.add(shutdown);
    source.start((method, params) => stream.send(method, params));
    call.closed.addEventListener('abort', () => void end(false), { once: true });
    void source.ended.then((how) => end(how === 'graceful'));
  }

  private async openUpstreamListen(call: ModernCall, request: ModernRequest, server: UpstreamServerRecord, filter: SubscriptionFilter): Promise<ListenSource> {
    if (!isModernUpstream(server)) {
      return openLegacyListen(this.deps, { server, filter, tenant: call.tenant.slug, userToken: call.auth.token, clientInfo: request.clientInfo });
    }
    const secrets = openUpstreamSecrets(this.deps.masterKey, server);
    const credentialHeaders = await this.deps.credentials.headers(server, secrets, { tenant: call.tenant.slug, userToken: () => call.auth.token });
    const meta = Object.fromEntries(Object.entries((request.params['_meta'] ?? {}) as Record<string, unknown>).filter(([key]) => key !== MetaKeys.subscriptionId));
    return openModernListen({ server, filter, id: request.id ?? 0, protocolVersion: request.protocolVersion, meta, credentialHeaders, fetchImpl: this.fetchImpl });
  }

  /**
   * One request to one upstream for the aggregated endpoint, read to its single JSON-RPC answer (SSE
   * included); progress the upstream reports on the way goes to `onProgress`.
   */
  private async ask(call: ModernCall, server: UpstreamServerRecord, request: ModernRequest, onProgress?: (progress: Progress) => void): Promise<BridgeAnswer> {
    const context = request.method === 'tools/call' ? this.toolCall(call, request, server.name, String(request.params['name'])) : undefined;
    const refused = await this.refuseUnlistedTool(call, server, request, namespacedName(server.name, String(request.params['name'])), context);
    if (refused) return refused;
    if (request.method === 'tools/list') return hideDisabledTools(await this.askUpstream(call, server, request, onProgress), await call.disabledTools(server));
    if (!context) return this.askUpstream(call, server, request, onProgress);
    this.observer.before(context);
    const answer = await this.askUpstream(call, server, request, onProgress);
    this.observer.after(context, answerOutcome(answer, context.startedAt));
    return answer;
  }

  /**
   * A tools/call whose name the upstream did not list exactly is refused here, before it reaches the
   * upstream (UpstreamToolList; `shown` is the name as the client sent it). A stateless request has no
   * upstream link to cache the list on, so it is read for each call: always the upstream's latest.
   */
  private async refuseUnlistedTool(call: ModernCall, server: UpstreamServerRecord, request: ModernRequest, shown: string, context: ToolCallContext | undefined): Promise<BridgeAnswer | undefined> {
    if (request.method !== 'tools/call' || !context) return undefined;
    const { name: _name, ...bare } = request;
    // The envelope (`_meta`) stays, so the upstream sees the same client; nothing of the call itself goes with the list.
    const { progressToken: _progressToken, ...meta } = (request.params['_meta'] ?? {}) as Record<string, unknown>;
    const tools = new UpstreamToolList(
      async (cursor) => {
        const answer = await this.askUpstream(call, server, { ...bare, method: 'tools/list', params: { _meta: meta, ...(cursor ? { cursor } : {}) } });
        if ('error' in answer) throw Object.assign(new Error('the upstream failed tools/list'), { answer });
        return answer.result;
      },
      () => call.disabledTools(server),
    );
    try {
      await tools.require(String(request.params['name']), shown);
      return undefined;
    } catch (error) {
      if (error instanceof GatewayError) {
        this.observer.after(context, refusalOutcome(error, context.startedAt));
        return errorAnswer(error);
      }
      const failed = (error as { answer?: BridgeAnswer }).answer;
      const answer = failed ?? errorAnswer(new GatewayError('upstream_unavailable'));
      this.observer.after(context, answerOutcome(answer, context.startedAt, failed ? undefined : 'upstream_unavailable'));
      return answer;
    }
  }

  private async askUpstream(call: ModernCall, server: UpstreamServerRecord, request: ModernRequest, onProgress?: (progress: Progress) => void): Promise<BridgeAnswer> {
    const claims = call.auth.claims;
    if (!isModernUpstream(server)) {
      try {
        return await this.bridge.serve(server, request, {
          tenant: call.tenant.slug,
          subject: claims.sub,
          clientId: claims.client_id,
          userToken: call.auth.token,
          signal: call.closed,
          ...(onProgress ? { onProgress } : {}),
        });
      } catch (error) {
        this.deps.logger.warn({ ...upstreamFailureFields(error), server: server.name }, 'session-based upstream unavailable to a 2026-07-28 client');
        this.deps.eras?.forget(server);
        return errorAnswer(new GatewayError('upstream_unavailable'));
      }
    }
    const unavailable: BridgeAnswer = errorAnswer(new GatewayError('upstream_unavailable'));
    const secrets = openUpstreamSecrets(this.deps.masterKey, server);
    const credentialHeaders = await this.deps.credentials.headers(server, secrets, { tenant: call.tenant.slug, userToken: () => call.auth.token });
    const version = call.headers[McpHeaders.protocolVersion];
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      [McpHeaders.method]: request.method,
      ...(typeof version === 'string' ? { [McpHeaders.protocolVersion]: version } : {}),
      ...(request.name !== undefined ? { [McpHeaders.name]: encodeHeaderValue(request.name) } : {}),
    };
    const id = request.id ?? 0;
    type Answer = { id: unknown; result?: Record<string, unknown>; error?: JsonRpcErrorObject };
    const isAnswer = (message: unknown): message is Answer =>
      typeof message === 'object' && message !== null && (message as { id?: unknown }).id === id && ('result' in message || 'error' in message);
    let upstream: Response;
    let answer: Answer | undefined;
    try {
      upstream = await this.fetchImpl(server.url!, {
        method: 'POST',
        headers: { ...headers, ...credentialHeaders },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: request.method, params: request.params }),
        signal: call.closed,
      });
      if (upstream.status === 401 || upstream.status === 403) {
        await upstream.body?.cancel();
        this.deps.logger.warn({ server: server.name, status: upstream.status }, '2026-07-28 upstream refused the gateway credentials');
        return errorAnswer(new GatewayError('upstream_refused'));
      }
      if ((upstream.headers.get('content-type') ?? '').includes('text/event-stream') && upstream.body) {
        // Read as it comes, so the upstream's progress reaches the client before the answer.
        await readSseMessages(upstream.body, (message) => {
          if (isAnswer(message)) answer = message;
          const note = message as { method?: unknown; params?: Record<string, unknown> };
          if (onProgress && note.method === 'notifications/progress' && typeof note.params?.['progress'] === 'number') {
            const { progress, total, message: text } = note.params as { progress: number; total?: unknown; message?: unknown };
            onProgress({ progress, ...(typeof total === 'number' ? { total } : {}), ...(typeof text === 'string' ? { message: text } : {}) });
          }
        });
      } else {
        const parsed: unknown = JSON.parse(await upstream.text());
        if (isAnswer(parsed)) answer = parsed;
      }
    } catch (error) {
      if (!call.closed.aborted) {
        this.deps.logger.warn({ ...upstreamFailureFields(error), server: server.name }, '2026-07-28 upstream unreachable');
        this.deps.eras?.forget(server);
      }
      return unavailable;
    }
    if (answer?.result) return { status: upstream.status, result: answer.result };
    if (answer?.error) return { status: upstream.status, error: answer.error };
    return unavailable;
  }

  /**
   * Relays the upstream's answer byte for byte. A tools/call is observed by HTTP status when the answer has
   * been relayed: the body is not read here, so a result with `isError` counts as delivered, not as failed.
   */
  private async forward(call: ModernCall, server: UpstreamServerRecord, id: string | number | null, context?: ToolCallContext): Promise<void> {
    const observe = (kind: ToolCallOutcome['kind'], reason: string | undefined, details: Record<string, unknown>) => {
      if (context) this.observer.after(context, { kind, ...(reason ? { reason } : {}), latencyMs: Date.now() - context.startedAt, details });
    };
    const { response } = call;
    const secrets = openUpstreamSecrets(this.deps.masterKey, server);
    const credentialHeaders = await this.deps.credentials.headers(server, secrets, { tenant: call.tenant.slug, userToken: () => call.auth.token });
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = call.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let upstream: Response;
    try {
      upstream = await this.fetchImpl(server.url!, { method: 'POST', headers: { ...headers, ...credentialHeaders }, body: new Uint8Array(call.body), signal: call.closed });
    } catch (error) {
      observe('error', call.closed.aborted ? 'cancelled' : 'upstream_unavailable', { cancelled: call.closed.aborted });
      if (call.closed.aborted) return;
      this.deps.logger.warn({ ...upstreamFailureFields(error), server: server.name }, '2026-07-28 upstream unreachable');
      this.deps.eras?.forget(server);
      return sendError(response, new GatewayError('upstream_unavailable'), id);
    }
    // The upstream's own 401/403 concern the gateway's credentials, not the client's token: never pass them on as such.
    if (upstream.status === 401 || upstream.status === 403) {
      await upstream.body?.cancel();
      observe('error', 'upstream_refused', { upstreamStatus: upstream.status });
      this.deps.logger.warn({ server: server.name, status: upstream.status }, '2026-07-28 upstream refused the gateway credentials');
      return sendError(response, new GatewayError('upstream_refused'), id);
    }
    const out: Record<string, string> = { ...MODERN_HEADERS };
    const contentType = upstream.headers.get('content-type');
    if (contentType) out['content-type'] = contentType;
    node(response).writeHead(upstream.status, out);
    const relayed = upstream.status < 400 ? 'result' : 'error';
    if (!upstream.body) {
      response.end();
      observe(relayed, undefined, { upstreamStatus: upstream.status });
      return;
    }
    const stream = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream<Uint8Array>);
    stream.on('error', () => {
      observe('error', call.closed.aborted ? 'cancelled' : undefined, { upstreamStatus: upstream.status, cancelled: call.closed.aborted });
      response.end();
    });
    stream.on('end', () => observe(relayed, undefined, { upstreamStatus: upstream.status }));
    stream.pipe(node(response));
  }
}
