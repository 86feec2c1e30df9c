import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ErrorCodes, McpHeaders, SUPPORTED_PROTOCOL_VERSIONS, encodeHeaderValue, isModernRevision, validateModernRequest } from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, ModernRequest } from '@airlock/mcp-protocol';
import type { Logger } from '@airlock/observability';
import type { AuthOutcome } from '../auth/bearer-auth.js';
import type { TenantRecord, UpstreamServerRecord } from '../tenants/tenant-directory.js';
import { openUpstreamSecrets } from '../upstream/upstream-credentials.js';
import type { UpstreamCredentials } from '../upstream/upstream-credentials.js';
import { LegacyUpstreamBridge } from './legacy-upstream-bridge.js';
import type { BridgeAnswer, LegacyBridgeDeps } from './legacy-upstream-bridge.js';
import type { RawResponse } from '../transport/sse-stream-pump.js';
import { serveAggregated } from './modern-aggregate.js';

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
}

export interface ModernEndpointDeps extends LegacyBridgeDeps {
  credentials: UpstreamCredentials;
  masterKey: Buffer;
  logger: Logger;
  fetchImpl?: typeof fetch;
}

const node = (response: RawResponse) => response as ServerResponse;
/** Every new-era answer: never cached by intermediaries, never buffered by a reverse proxy (the spec's MUST for SSE). */
const MODERN_HEADERS = { 'cache-control': 'no-store', 'x-accel-buffering': 'no' } as const;

function sendJson(response: RawResponse, status: number, body: unknown): void {
  node(response).writeHead(status, { 'content-type': 'application/json', ...MODERN_HEADERS });
  response.end(JSON.stringify(body));
}

const jsonRpcError = (id: string | number | null, code: number, message: string) => ({ jsonrpc: '2.0', id, error: { code, message } });

/** An upstream speaks 2026-07-28 when its record says so (`upstream_servers.protocol_version`). */
export function isModernUpstream(server: UpstreamServerRecord): boolean {
  return server.transport === 'http' && server.protocolVersion !== null && isModernRevision(server.protocolVersion);
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

  constructor(private readonly deps: ModernEndpointDeps) {
    this.fetchImpl = deps.fetchImpl ?? fetch;
    this.bridge = new LegacyUpstreamBridge(deps);
  }

  close(): Promise<void> {
    return this.bridge.close();
  }

  async handle(call: ModernCall): Promise<void> {
    const { response } = call;
    let body: unknown;
    try {
      body = JSON.parse(call.body.toString('utf8'));
    } catch {
      return sendJson(response, 400, jsonRpcError(null, ErrorCodes.parseError, 'Parse error'));
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
    await call.rateLimit();
    await call.checkToolScopes({ method: request.method, params: request.params });
    const id = request.id ?? null;
    if (!call.server) {
      const answer = await serveAggregated(await call.servers(), request, (server, sub) => this.ask(call, server, sub), (server) =>
        this.deps.logger.warn({ server }, 'an upstream failed its list on the aggregated endpoint'),
      );
      if (call.closed.aborted) return;
      return sendJson(response, answer.status, 'result' in answer ? { jsonrpc: '2.0', id, result: answer.result } : { jsonrpc: '2.0', id, error: answer.error });
    }
    if (isModernUpstream(call.server)) return this.forward(call, call.server, id);
    const claims = call.auth.claims;
    // Progress turns the answer into an SSE stream: the notifications first, the response last.
    const progressToken = ((request.params['_meta'] ?? {}) as Record<string, unknown>)['progressToken'];
    let streaming = false;
    const sse = (message: unknown) => node(response).write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    const onProgress =
      typeof progressToken === 'string' || typeof progressToken === 'number'
        ? (progress: { progress: number; total?: number; message?: string }) => {
            if (call.closed.aborted) return;
            if (!streaming) {
              node(response).writeHead(200, { 'content-type': 'text/event-stream', ...MODERN_HEADERS });
              streaming = true;
            }
            sse({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...progress } });
          }
        : undefined;
    let answer: BridgeAnswer;
    try {
      answer = await this.bridge.serve(call.server, request, {
        tenant: call.tenant.slug,
        subject: claims.sub,
        clientId: claims.client_id,
        userToken: call.auth.token,
        signal: call.closed,
        ...(onProgress ? { onProgress } : {}),
      });
    } catch (error) {
      this.deps.logger.warn({ err: error, server: call.server.name }, 'session-based upstream unavailable to a 2026-07-28 client');
      answer = { status: 502, error: { code: ErrorCodes.internalError, message: 'The upstream server is unavailable' } };
    }
    if (call.closed.aborted) return;
    const message = 'result' in answer ? { jsonrpc: '2.0', id, result: answer.result } : { jsonrpc: '2.0', id, error: answer.error };
    if (!streaming) return sendJson(response, answer.status, message);
    sse(message);
    response.end();
  }

  /** One request to one upstream for the aggregated endpoint, read to its single JSON-RPC answer (SSE included). */
  private async ask(call: ModernCall, server: UpstreamServerRecord, request: ModernRequest): Promise<BridgeAnswer> {
    const claims = call.auth.claims;
    if (!isModernUpstream(server)) {
      try {
        return await this.bridge.serve(server, request, { tenant: call.tenant.slug, subject: claims.sub, clientId: claims.client_id, userToken: call.auth.token, signal: call.closed });
      } catch (error) {
        this.deps.logger.warn({ err: error, server: server.name }, 'session-based upstream unavailable to a 2026-07-28 client');
        return { status: 502, error: { code: ErrorCodes.internalError, message: 'The upstream server is unavailable' } };
      }
    }
    const unavailable: BridgeAnswer = { status: 502, error: { code: ErrorCodes.internalError, message: 'The upstream server is unavailable' } };
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
    let upstream: Response;
    let text: string;
    try {
      upstream = await this.fetchImpl(server.url!, {
        method: 'POST',
        headers: { ...headers, ...credentialHeaders },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: request.method, params: request.params }),
        signal: call.closed,
      });
      text = await upstream.text();
    } catch (error) {
      this.deps.logger.warn({ err: error, server: server.name }, '2026-07-28 upstream unreachable');
      return unavailable;
    }
    if (upstream.status === 401 || upstream.status === 403) {
      this.deps.logger.warn({ server: server.name, status: upstream.status }, '2026-07-28 upstream refused the gateway credentials');
      return { status: 502, error: { code: ErrorCodes.internalError, message: 'The upstream server refused the gateway' } };
    }
    const messages: unknown[] = [];
    try {
      if ((upstream.headers.get('content-type') ?? '').includes('text/event-stream')) {
        for (const event of text.split(/\r?\n\r?\n/)) {
          const data = event
            .split(/\r?\n/)
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) messages.push(JSON.parse(data));
        }
      } else {
        messages.push(JSON.parse(text));
      }
    } catch {
      return unavailable;
    }
    const answer = messages.find(
      (message): message is { id: unknown; result?: Record<string, unknown>; error?: JsonRpcErrorObject } =>
        typeof message === 'object' && message !== null && (message as { id?: unknown }).id === id && ('result' in message || 'error' in message),
    );
    if (answer?.result) return { status: upstream.status, result: answer.result };
    if (answer?.error) return { status: upstream.status, error: answer.error };
    return unavailable;
  }

  private async forward(call: ModernCall, server: UpstreamServerRecord, id: string | number | null): Promise<void> {
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
      if (call.closed.aborted) return;
      this.deps.logger.warn({ err: error, server: server.name }, '2026-07-28 upstream unreachable');
      return sendJson(response, 502, jsonRpcError(id, ErrorCodes.internalError, 'The upstream server is unavailable'));
    }
    // The upstream's own 401/403 concern the gateway's credentials, not the client's token: never pass them on as such.
    if (upstream.status === 401 || upstream.status === 403) {
      await upstream.body?.cancel();
      this.deps.logger.warn({ server: server.name, status: upstream.status }, '2026-07-28 upstream refused the gateway credentials');
      return sendJson(response, 502, jsonRpcError(id, ErrorCodes.internalError, 'The upstream server refused the gateway'));
    }
    const out: Record<string, string> = { ...MODERN_HEADERS };
    const contentType = upstream.headers.get('content-type');
    if (contentType) out['content-type'] = contentType;
    node(response).writeHead(upstream.status, out);
    if (!upstream.body) {
      response.end();
      return;
    }
    const stream = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream<Uint8Array>);
    stream.on('error', () => response.end());
    stream.pipe(node(response));
  }
}
