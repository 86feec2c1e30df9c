import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  McpHeaders,
  MetaKeys,
  SUPPORTED_PROTOCOL_VERSIONS,
  encodeHeaderValue,
  modernResultFromLegacy,
  isEmptyFilter,
  parseListenFilter,
  validateModernRequest,
} from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, JsonRpcId, ModernRequest, SubscriptionFilter } from '@airlock/mcp-protocol';
import { REQUEST_ID_HEADER } from '@airlock/observability';
import type { Logger } from '@airlock/observability';
import type { AuthOutcome } from '../bearer-auth.js';
import type { TenantRecord, UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import type { ToolVersion } from '../../tenants/tool-definition.js';
import { openUpstreamSecrets } from '../../upstream/upstream-credentials.js';
import type { UpstreamCredentials } from '../../upstream/upstream-credentials.js';
import { upstreamFailureFields } from '../../upstream/upstream-egress.js';
import type { UpstreamEras } from '../../upstream/upstream-eras.js';
import { Upstream2025Bridge } from '../../upstream/to-2025/upstream-2025-bridge.js';
import type { BridgeAnswer, Upstream2025BridgeDeps } from '../../upstream/to-2025/upstream-2025-bridge.js';
import type { RawResponse } from '../../streams/sse-stream-pump.js';
import { AGGREGATED_LISTS, DEFAULT_AGGREGATE_LIST_MAX_ITEMS } from '../../router/aggregated-list.js';
import { aggregatable } from '../../router/namespacing.js';
import { AggregateRouter, observedToolCall } from '../../router/aggregate-router.js';
import type { RouterUpstreams } from '../../router/aggregate-router.js';
import { ToolNameCache, withoutDisabledTools } from '../../router/upstream-tool-list.js';
import { isUpstream2026 } from '../../upstream/upstream-connection.js';
import { AccountNotConnectedError } from '../../upstream/connected-account-tokens.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { errorAnswer, errorResponse, jsonRpcErrorOf } from '../../errors/error-response.js';
import { openAggregatedListen } from '../../router/subscriptions-aggregate.js';
import { openListenVia2025Session } from '../../upstream/to-2025/listen-2025.js';
import { openListen2026 } from '../../upstream/to-2026/listen-2026.js';
import { ListenStream, readSseMessages } from '../../streams/subscriptions-stream.js';
import type { ListenSource } from '../../streams/subscriptions-stream.js';
import { NO_TOOL_CALL_OBSERVERS, refusalOutcome } from '../../observe/tool-call-observer.js';
import { toolTarget } from '../../router/namespacing.js';
import type { ToolCallContext, ToolCallObservers, ToolCallOutcome } from '../../observe/tool-call-observer.js';

/** Everything the 2026-07-28 path needs from the request entry, which has already done route, Host/Origin, tenant and token. */
export interface Client2026Call {
  tenant: TenantRecord;
  /** The upstream a per-server endpoint names; undefined on the aggregated endpoint. */
  server: UpstreamServerRecord | undefined;
  /** The tenant's upstreams (the aggregated endpoint routes among them). */
  servers(): Promise<UpstreamServerRecord[]>;
  auth: AuthOutcome;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `body` parsed as JSON by the edge (which read it to detect the era); undefined when it is not JSON. */
  message: unknown;
  /** Fires when the client closes the connection: the call is cancelled upstream. */
  closed: AbortSignal;
  response: RawResponse;
  /** Throws the 429 (with Retry-After) the 2025-11-25 path would. */
  rateLimit(): Promise<void>;
  /** Throws the 403 insufficient_scope for a `tools/call` the token may not make. */
  checkToolScopes(message: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** Tools of an upstream an admin disabled: left out of tools/list, refused on tools/call as unknown. */
  disabledTools(server: UpstreamServerRecord): Promise<ReadonlySet<string>>;
  /** Pinned tool definitions (absent: not enforced): the listed tools the client may see. */
  gateTools?(server: UpstreamServerRecord, tools: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>>;
  /** Pinned tool definitions: the tool's version (hash of the definition seen upstream; `withheld`: it awaits approval and is refused); undefined when not pinned yet. */
  toolVersion?(server: UpstreamServerRecord, tool: string): Promise<ToolVersion | undefined>;
}

export interface Client2026EndpointDeps extends Upstream2025BridgeDeps {
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
  /** How long an upstream's tool names read for one call serve the next ones (GATEWAY_TOOL_LIST_TTL_MS; see ToolNameCache). */
  toolListTtlMs?: number;
}

type Progress = { progress: number; total?: number; message?: string };

/** What the router hands back for one stateless request: the request, its upstreams, and the status of the last upstream answer. */
interface StatelessContext {
  call: Client2026Call;
  request: ModernRequest;
  onProgress: ((progress: Progress) => void) | undefined;
  servers: UpstreamServerRecord[];
  status: number;
  aggregated: boolean;
}

/** An upstream's JSON-RPC error answer, carried through the router unchanged. */
class RelayedAnswer extends Error {
  constructor(readonly answer: BridgeAnswer) {
    super('the upstream answered with an error');
  }
}

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
function progressResponder(call: Client2026Call, request: ModernRequest) {
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

/**
 * Whose tool list a cached one is: the upstream's configuration (a changed record is a new key), and for
 * token exchange the caller too, since the upstream then sees the user and may list other tools to other
 * users (or clients). Every other credential kind shows the upstream the gateway alone: one list per server.
 */
export function toolListKey(server: UpstreamServerRecord, call: Client2026Call): string {
  const key = `${server.id}\u0000${server.updatedAt?.getTime() ?? ''}`;
  if (server.credentialKind !== 'token_exchange') return key;
  const { sub, client_id: clientId } = call.auth.claims;
  return `${key}\u0000${call.tenant.slug}\u0000${sub}\u0000${clientId}`;
}

/** Request headers a 2026-07-28 upstream must see again; nothing that authenticates the user goes upstream. */
const FORWARDED_HEADERS = ['content-type', 'accept', McpHeaders.protocolVersion, McpHeaders.method, McpHeaders.name] as const;

/**
 * A list the gateway filtered for the caller (the tenant's disabled tools and pinned definitions, the
 * servers the token reaches, the user's own upstream credentials): `cacheScope: private` (2026-07-28), so
 * no cache shares it across authorization contexts, whatever the upstream said of its own list. The
 * upstream's `ttlMs` stays (0 when it gave none).
 */
export function privateList(result: Record<string, unknown>): Record<string, unknown> {
  return { ...result, ttlMs: typeof result['ttlMs'] === 'number' ? result['ttlMs'] : 0, cacheScope: 'private' };
}

/**
 * The 2026-07-28 (stateless) side of every tenant endpoint. Validation is the new revision's ladder
 * (exact status and code per mismatch); a 2026-07-28 upstream then gets the request as is, with the
 * gateway's upstream credentials instead of the user's token, and its JSON or SSE answer is streamed
 * back unchanged; a session-based upstream is reached through the Upstream2025Bridge. A closed client
 * connection cancels the upstream request (abort; notifications/cancelled through the SDK on a 2025 one).
 */
export class Client2026Endpoint {
  private readonly fetchImpl: typeof fetch;
  private readonly bridge: Upstream2025Bridge;
  private readonly listens = new Set<() => Promise<void>>();
  private readonly observer: ToolCallObservers;
  private readonly upstreams: RouterUpstreams<StatelessContext>;
  private readonly router: AggregateRouter<StatelessContext>;
  private readonly toolNames: ToolNameCache;

  constructor(private readonly deps: Client2026EndpointDeps) {
    this.fetchImpl = deps.fetchImpl ?? fetch;
    this.toolNames = new ToolNameCache(deps.toolListTtlMs !== undefined ? { ttlMs: deps.toolListTtlMs } : {});
    this.observer = deps.observer ?? NO_TOOL_CALL_OBSERVERS;
    this.bridge = new Upstream2025Bridge(deps);
    this.upstreams = this.upstreamsForRouter();
    this.router = new AggregateRouter('2026-07-28', this.upstreams, this.observer, deps.aggregateListMaxItems ?? DEFAULT_AGGREGATE_LIST_MAX_ITEMS);
  }

  /** Graceful shutdown: every listen stream gets its `subscriptions/listen` response and ends; bridged sessions close. */
  async close(): Promise<void> {
    await Promise.all([...this.listens].map((end) => end()));
    await this.bridge.close();
  }

  async handle(call: Client2026Call): Promise<void> {
    const { response } = call;
    // Parsed once, by the edge: JSON.parse never yields undefined, so undefined is a body that is not JSON.
    const body = call.message;
    if (body === undefined) return sendError(response, new GatewayError('parse_error'));
    const header = (name: string) => {
      const value = call.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const validation = validateModernRequest({ header, body, supportedVersions: SUPPORTED_PROTOCOL_VERSIONS });
    if (!validation.ok) {
      // Which versions exist is the upstream's to say (its answer must agree with its `server/discover`).
      const rejection = validation.rejection;
      if (rejection.rule === 'unsupported-version' && call.server && isUpstream2026(call.server)) {
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
    if (request.method === 'subscriptions/listen' && !(call.server && isUpstream2026(call.server))) return this.listen(call, request);
    const progress = progressResponder(call, request);
    const context: StatelessContext = { call, request, onProgress: progress.onProgress, servers: [], status: 200, aggregated: !call.server };
    if (!call.server) {
      context.servers = (await call.servers()).filter((server) => aggregatable(server.name));
      return progress.finish(id, await this.serveAggregated(context));
    }
    if (request.method !== 'tools/call') return this.serveOne(call, call.server, request, progress.onProgress, id, progress.finish);
    // A tools/call on the per-server endpoint: the one router, and for a 2026-07-28 upstream the answer is relayed as it comes.
    const server = call.server;
    context.servers = [server];
    if (isUpstream2026(server)) {
      const target = toolTarget(server.name, String(request.params['name']));
      const toolCall = this.toolCall(call, request, target.server, target.tool);
      try {
        await observedToolCall(
          this.observer,
          toolCall,
          async () => {
            const hash = await this.router.admitTool(context, server.name, target.tool, target.tool);
            if (hash !== undefined) toolCall.toolHash = hash;
          },
          () => this.forward(call, server, id, toolCall),
          () => undefined,
        );
      } catch (error) {
        progress.finish(id, this.answerOf(error));
      }
      return;
    }
    progress.finish(id, await this.answered(context, () => this.router.callTool(context, server.name, request.params, (name, tool) => this.toolCall(call, request, name, tool))));
  }

  /** A request other than tools/call on a per-server endpoint: relayed to a 2026-07-28 upstream, bridged to a 2025 one. */
  private async serveOne(
    call: Client2026Call,
    server: UpstreamServerRecord,
    request: ModernRequest,
    onProgress: ((progress: Progress) => void) | undefined,
    id: JsonRpcId | null,
    finish: (id: JsonRpcId | null, answer: BridgeAnswer) => void,
  ): Promise<void> {
    if (request.method === 'tools/list') {
      const disabled = await call.disabledTools(server);
      // A list with tools an admin disabled, or checked against pinned definitions, is read and rewritten, not relayed byte for byte.
      if (disabled.size > 0 || call.gateTools) {
        const answer = await this.askUpstream(call, server, request, onProgress, true);
        if (!('result' in answer)) return finish(id, answer);
        const visible = privateList(withoutDisabledTools(answer.result, disabled));
        if (!call.gateTools || !Array.isArray(visible['tools'])) return finish(id, { ...answer, result: visible });
        return finish(id, { ...answer, result: { ...visible, tools: await call.gateTools(server, visible['tools'] as Array<Record<string, unknown>>) } });
      }
    }
    if (isUpstream2026(server)) return this.forward(call, server, id);
    let answer: BridgeAnswer;
    try {
      answer = await this.bridge.serve(server, request, this.bridgeCaller(call, onProgress));
    } catch (error) {
      // Connected accounts: the user has no account at this upstream; the answer carries where to connect it.
      if (error instanceof AccountNotConnectedError) answer = errorAnswer(error);
      else {
        this.deps.logger.warn({ ...upstreamFailureFields(error), server: server.name }, 'session-based upstream unavailable to a 2026-07-28 client');
        answer = errorAnswer(new GatewayError('upstream_unavailable'));
      }
    }
    finish(id, answer);
  }

  /** The aggregated endpoint: `server/discover` merges every upstream's; everything else is the one router's. */
  private async serveAggregated(context: StatelessContext): Promise<BridgeAnswer> {
    const { call, request } = context;
    if (request.method === 'server/discover') return this.discover(context);
    const list = AGGREGATED_LISTS[request.method] !== undefined;
    const answer = await this.answered(context, () => this.router.route(context, request.method, request.params, (name, tool) => this.toolCall(call, request, name, tool)));
    // A list merges many upstream answers: its status is the gateway's own.
    return list && 'result' in answer ? { status: 200, result: privateList(modernResultFromLegacy(request.method, answer.result)) } : answer;
  }

  /** The router's result or refusal as a 2026-07-28 answer, with the HTTP status of the upstream answer it came from. */
  private async answered(context: StatelessContext, route: () => Promise<Record<string, unknown>>): Promise<BridgeAnswer> {
    try {
      const result = await route();
      return { status: context.status, result };
    } catch (error) {
      return this.answerOf(error);
    }
  }

  private answerOf(error: unknown): BridgeAnswer {
    if (error instanceof RelayedAnswer) return error.answer;
    if (error instanceof GatewayError) return errorAnswer(error);
    throw error;
  }

  /** `server/discover` on the aggregated endpoint: the capabilities every upstream offers, merged. */
  private async discover(context: StatelessContext): Promise<BridgeAnswer> {
    const capabilities: Record<string, Record<string, boolean>> = {};
    const answers = await Promise.all(context.servers.map((server) => this.ask(context, server, context.request).catch(() => undefined)));
    for (const answer of answers) {
      if (!answer || !('result' in answer)) continue;
      const offered = answer.result['capabilities'];
      if (typeof offered !== 'object' || offered === null) continue;
      for (const [key, value] of Object.entries(offered as Record<string, unknown>)) {
        if (!['tools', 'prompts', 'resources', 'completions', 'logging'].includes(key)) continue;
        const merged = (capabilities[key] ??= {});
        // subscriptions/listen fans in every upstream: a change any of them announces reaches the client.
        for (const flag of ['listChanged', 'subscribe']) {
          if (typeof value === 'object' && value !== null && (value as Record<string, unknown>)[flag] === true) merged[flag] = true;
        }
      }
    }
    return {
      status: 200,
      result: modernResultFromLegacy('server/discover', {
        supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
        capabilities,
        _meta: { [MetaKeys.serverInfo]: { name: 'airlock-gateway', version: '1' } },
      }),
    };
  }

  /** The upstreams of one stateless request as the router sees them. */
  private upstreamsForRouter(): RouterUpstreams<StatelessContext> {
    const byName = (context: StatelessContext, name: string) => context.servers.find((server) => server.name === name);
    return {
      servers: (context) => context.servers.map((server) => server.name),
      has: (context, name) => byName(context, name) !== undefined,
      // A stateless request knows no upstream's capabilities: every upstream is asked for every list.
      offers: () => true,
      send: async (context, name, method, params, via) => {
        const { request } = context;
        const sub: ModernRequest = { ...request, method, params: params ?? {}, ...(via.name !== undefined ? { name: via.name } : {}) };
        const answer = await this.ask(context, byName(context, name)!, sub);
        context.status = answer.status;
        if ('result' in answer) return answer.result;
        throw new RelayedAnswer(answer);
      },
      disabledTools: (context, name) => context.call.disabledTools(byName(context, name)!),
      gateTools: async (context, name, tools) => (context.call.gateTools ? context.call.gateTools(byName(context, name)!, tools) : tools),
      toolVersion: async (context, name, tool) => context.call.toolVersion?.(byName(context, name)!, tool),
      requireTool: async (context, name, tool, shown) => {
        const server = byName(context, name)!;
        // A stateless request has no upstream link to keep the list on: the process keeps it (ToolNameCache), read again on a miss and after its TTL.
        const page = async (cursor: string | undefined) => {
          const { name: _name, ...bare } = context.request;
          // The envelope (`_meta`) stays, so the upstream sees the same client; nothing of the call itself goes with the list.
          const { progressToken: _progressToken, ...meta } = (context.request.params['_meta'] ?? {}) as Record<string, unknown>;
          const answer = await this.askUpstream(context.call, server, { ...bare, method: 'tools/list', params: { _meta: meta, ...(cursor ? { cursor } : {}) } }, undefined, true);
          if ('error' in answer) throw new RelayedAnswer(answer);
          // Checked against the pins too: a changed definition is caught even when the client never listed.
          if (context.call.gateTools && Array.isArray(answer.result['tools'])) await context.call.gateTools(server, answer.result['tools'] as Array<Record<string, unknown>>);
          return answer.result;
        };
        try {
          await this.toolNames.require(toolListKey(server, context.call), page, tool, shown);
        } catch (error) {
          if (error instanceof GatewayError || error instanceof RelayedAnswer) throw error;
          throw new GatewayError('upstream_unavailable', { cause: error });
        }
      },
      listFailed: (_context, server) => this.deps.logger.warn({ server }, 'an upstream failed its list on the aggregated endpoint'),
    };
  }

  private bridgeCaller(call: Client2026Call, onProgress: ((progress: Progress) => void) | undefined) {
    const claims = call.auth.claims;
    return {
      tenant: call.tenant.slug,
      subject: claims.sub,
      clientId: claims.client_id,
      bearer: call.auth.bearer,
      signal: call.closed,
      ...(onProgress ? { onProgress } : {}),
    };
  }

  /** The edge's refusals (429, 403 insufficient_scope) of a tools/call are observed before they are answered. */
  private async admit(call: Client2026Call, request: ModernRequest): Promise<void> {
    try {
      await call.rateLimit();
      await call.checkToolScopes({ method: request.method, params: request.params });
    } catch (error) {
      if (request.method === 'tools/call') {
        const target = toolTarget(call.server?.name, String(request.params['name']));
        const context = this.toolCall(call, request, target.server, target.tool);
        this.observer.after(context, refusalOutcome(error, context.startedAt));
      }
      throw error;
    }
  }

  /** The observers' view of one tools/call (`server` empty when the name designates none). */
  private toolCall(call: Client2026Call, request: ModernRequest, server: string, tool: string): ToolCallContext {
    const requestId = node(call.response).getHeader(REQUEST_ID_HEADER);
    return {
      tenant: call.tenant.slug,
      sessionId: undefined,
      subject: call.auth.claims.sub,
      clientId: call.auth.claims.client_id,
      server,
      tool,
      era: '2026-07-28',
      protocolVersion: request.protocolVersion,
      requestId: typeof requestId === 'string' ? requestId : undefined,
      startedAt: Date.now(),
      groups: call.auth.claims.groups ?? [],
      scopes: [...call.auth.scopes],
      arguments: request.params['arguments'],
    };
  }

  /**
   * `subscriptions/listen` on a 2025-11-25 upstream (a session of its own, see upstream/to-2025/listen-2025.ts) or
   * on the aggregated endpoint (every upstream fanned in). The stream lives until the client closes it
   * (the upstream sides are closed), the gateway shuts down (the listen response, then the end), or no
   * upstream is left.
   */
  private async listen(call: Client2026Call, request: ModernRequest): Promise<void> {
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

  private async openUpstreamListen(call: Client2026Call, request: ModernRequest, server: UpstreamServerRecord, filter: SubscriptionFilter): Promise<ListenSource> {
    if (!isUpstream2026(server)) {
      return openListenVia2025Session(this.deps, { server, filter, tenant: call.tenant.slug, bearer: call.auth.bearer, clientInfo: request.clientInfo });
    }
    const secrets = openUpstreamSecrets(this.deps.masterKey, server);
    const credentialHeaders = await this.deps.credentials.headers(server, secrets, { tenant: call.tenant.slug, bearer: () => call.auth.bearer, subject: call.auth.claims.sub });
    const meta = Object.fromEntries(Object.entries((request.params['_meta'] ?? {}) as Record<string, unknown>).filter(([key]) => key !== MetaKeys.subscriptionId));
    return openListen2026({ server, filter, id: request.id ?? 0, protocolVersion: request.protocolVersion, meta, credentialHeaders, fetchImpl: this.fetchImpl });
  }

  /** One request to one upstream of a routed request, read to its single JSON-RPC answer (SSE included). */
  private ask(context: StatelessContext, server: UpstreamServerRecord, request: ModernRequest): Promise<BridgeAnswer> {
    return this.askUpstream(context.call, server, request, context.onProgress, context.aggregated);
  }

  /**
   * One request to one upstream, read to its single JSON-RPC answer; progress the upstream reports on the
   * way goes to `onProgress`. A session-based upstream that fails is upstream_unavailable: with
   * `answerFailure` as an answer (and its era is detected again next time), else thrown (the per-server
   * tools/call, whose observer sees the reason).
   */
  private async askUpstream(call: Client2026Call, server: UpstreamServerRecord, request: ModernRequest, onProgress: ((progress: Progress) => void) | undefined, answerFailure: boolean): Promise<BridgeAnswer> {
    if (!isUpstream2026(server)) {
      try {
        return await this.bridge.serve(server, request, this.bridgeCaller(call, onProgress));
      } catch (error) {
        if (error instanceof AccountNotConnectedError) {
          if (!answerFailure) throw error;
          return errorAnswer(error);
        }
        this.deps.logger.warn({ ...upstreamFailureFields(error), server: server.name }, 'session-based upstream unavailable to a 2026-07-28 client');
        if (!answerFailure) throw new GatewayError('upstream_unavailable', { cause: error });
        this.deps.eras?.forget(server);
        return errorAnswer(new GatewayError('upstream_unavailable'));
      }
    }
    const unavailable: BridgeAnswer = errorAnswer(new GatewayError('upstream_unavailable'));
    const secrets = openUpstreamSecrets(this.deps.masterKey, server);
    const credentialHeaders = await this.deps.credentials.headers(server, secrets, { tenant: call.tenant.slug, bearer: () => call.auth.bearer, subject: call.auth.claims.sub });
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
  private async forward(call: Client2026Call, server: UpstreamServerRecord, id: string | number | null, context?: ToolCallContext): Promise<void> {
    const observe = (kind: ToolCallOutcome['kind'], reason: string | undefined, details: Record<string, unknown>) => {
      if (context) this.observer.after(context, { kind, ...(reason ? { reason } : {}), latencyMs: Date.now() - context.startedAt, details });
    };
    const { response } = call;
    const secrets = openUpstreamSecrets(this.deps.masterKey, server);
    const credentialHeaders = await this.deps.credentials.headers(server, secrets, { tenant: call.tenant.slug, bearer: () => call.auth.bearer, subject: call.auth.claims.sub });
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
