import { randomUUID } from 'node:crypto';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  ErrorCodes,
  MAX_INPUT_ROUNDS,
  MetaKeys,
  clientRequestsFromInputRequired,
  envelopeForLegacyClient,
  legacyResultFromModern,
  modernRequestHeaders,
  retryParamsFromClientAnswers,
  withEnvelope,
} from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, JsonRpcResponseMessage } from '@airlock/mcp-protocol';
import type { UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import type { ConnectOptions } from '../upstream-link.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import { SpanKind, endSpan, startSpan, traceparentOf, tracestateOf } from '@airlock/tracing';

interface Progress {
  token: string;
  listener: (progress: { progress: number; total?: number; message?: string }) => void;
}

type Message = { jsonrpc: '2.0'; id?: string | number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: JsonRpcErrorObject };

/** The JSON-RPC messages of one response, JSON or SSE, in arrival order (SSE parsed as it streams). */
async function* messagesOf(response: Response): AsyncGenerator<Message> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    yield (await response.json()) as Message;
    return;
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data !== '') yield JSON.parse(data) as Message;
    }
  }
}

/**
 * Direction (b): a 2025-11-25 client's session uses a 2026-07-28 upstream. No upstream session exists:
 * each call is a stateless POST with the envelope built from the client's `initialize`; an
 * `input_required` result becomes server-to-client requests on the client's stream (through the same
 * relay a 2025 upstream's requests use) and the answers become the retry, up to MAX_INPUT_ROUNDS.
 */
export class Upstream2026Link implements UpstreamConnection {
  private ids = 0;
  /** The client's `logging/setLevel`: 2026-07-28 has no such request, the level travels in each request's `_meta`. */
  private logLevel: string | undefined;
  private discovered: { capabilities: Record<string, unknown>; serverInfo?: { name: string; version: string }; instructions?: string } = { capabilities: {} };
  readonly client = {
    getInstructions: () => this.discovered.instructions,
    getServerVersion: () => this.discovered.serverInfo,
  };

  private constructor(
    readonly server: UpstreamServerRecord,
    private readonly options: ConnectOptions,
  ) {}

  static async connect(options: ConnectOptions): Promise<Upstream2026Link> {
    const link = new Upstream2026Link(options.server, options);
    const discovered = await link.call('server/discover', {});
    // 2026-07-28 names the server in the result's `_meta`, not in a `serverInfo` member.
    const serverInfo = ((discovered['_meta'] ?? {}) as Record<string, unknown>)[MetaKeys.serverInfo] ?? discovered['serverInfo'];
    link.discovered = {
      capabilities: (discovered['capabilities'] ?? {}) as Record<string, unknown>,
      ...(serverInfo ? { serverInfo: serverInfo as { name: string; version: string } } : {}),
      ...(typeof discovered['instructions'] === 'string' ? { instructions: discovered['instructions'] } : {}),
    };
    return link;
  }

  capabilities(): Record<string, unknown> {
    return this.discovered.capabilities;
  }

  /** Client notifications (cancellation included) have no stateless counterpart: a closed request is the cancel. */
  async notify(): Promise<void> {}

  async close(): Promise<void> {}

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: { signal?: AbortSignal; onprogress?: (progress: { progress: number; total?: number; message?: string }) => void } = {},
  ): Promise<Record<string, unknown>> {
    if (method === 'logging/setLevel') {
      this.logLevel = typeof params?.['level'] === 'string' ? params['level'] : undefined;
      return {};
    }
    let sent = params ?? {};
    let progress: Progress | undefined;
    if (options.onprogress) {
      progress = { token: `airlock-progress-${++this.ids}`, listener: options.onprogress };
      sent = { ...sent, _meta: { ...((sent['_meta'] as Record<string, unknown> | undefined) ?? {}), progressToken: progress.token } };
    }
    // Traced: a client span, its context upstream in `params._meta` and the HTTP headers.
    const span = startSpan(method, SpanKind.CLIENT);
    if (!span) return legacyResultFromModern(await this.call(method, sent, options.signal, progress));
    const { server } = this.options;
    if (typeof sent['name'] === 'string') {
      span.updateName(`${method} ${sent['name']}`);
      if (method === 'tools/call') span.setAttributes({ 'gen_ai.tool.name': sent['name'], 'gen_ai.operation.name': 'execute_tool' });
    }
    span.setAttributes({ 'mcp.method.name': method, 'mcp.protocol.version': '2026-07-28', 'airlock.server': server.name, 'airlock.server.id': server.id, 'network.transport': 'tcp', 'network.protocol.name': 'http' });
    const state = tracestateOf(span);
    const context: Record<string, string> = state ? { traceparent: traceparentOf(span), tracestate: state } : { traceparent: traceparentOf(span) };
    sent = { ...sent, _meta: { ...((sent['_meta'] as Record<string, unknown> | undefined) ?? {}), ...context } };
    try {
      const result = legacyResultFromModern(await this.call(method, sent, options.signal, progress, context));
      endSpan(span);
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private async call(method: string, original: Record<string, unknown>, signal?: AbortSignal, progress?: Progress, traceHeaders?: Record<string, string>): Promise<Record<string, unknown>> {
    const { clientCapabilities, clientInfo } = this.options;
    const envelope = envelopeForLegacyClient({ capabilities: clientCapabilities, clientInfo, ...(this.logLevel ? { logLevel: this.logLevel } : {}) });
    let params = original;
    for (let round = 0; round <= MAX_INPUT_ROUNDS; round++) {
      const result = await this.post(method, withEnvelope(params, envelope), signal, progress, traceHeaders);
      if (result['resultType'] !== 'input_required') return result;
      const asked = clientRequestsFromInputRequired(result, {
        clientCapabilities,
        mintId: () => ++this.ids,
        mintElicitationId: () => randomUUID(),
      });
      if (!asked.ok) throw new McpError(asked.error.code, asked.error.message, asked.error.data);
      const answers: Array<{ key: string; response: JsonRpcResponseMessage }> = [];
      for (const { key, request } of asked.requests) {
        const response: JsonRpcResponseMessage = await this.options.handlers.onRequest(request.method, request.params).then(
          (answer) => ({ jsonrpc: '2.0', id: request.id, result: answer }),
          (error: unknown) => ({
            jsonrpc: '2.0',
            id: request.id,
            error: error instanceof McpError ? { code: error.code, message: error.message } : { code: ErrorCodes.internalError, message: 'The client could not answer' },
          }),
        );
        answers.push({ key, response });
      }
      const retry = retryParamsFromClientAnswers(original, answers, asked.requestState);
      if (!retry.ok) throw new McpError(retry.error.code, retry.error.message, retry.error.data);
      params = retry.params;
    }
    throw new McpError(ErrorCodes.internalError, `The upstream asked for input more than ${MAX_INPUT_ROUNDS} times`);
  }

  private async post(method: string, params: Record<string, unknown>, signal?: AbortSignal, progress?: Progress, traceHeaders?: Record<string, string>): Promise<Record<string, unknown>> {
    const { server, credentials, secrets, caller } = this.options;
    const id = ++this.ids;
    const response = await this.options.egress.fetch(server.url!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...modernRequestHeaders(method, params),
        ...(await credentials.headers(server, secrets, caller)),
        ...traceHeaders,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      ...(signal ? { signal } : {}),
    });
    for await (const message of messagesOf(response)) {
      if (message.id === id && message.error) throw new McpError(message.error.code, message.error.message, message.error.data);
      if (message.id === id && message.result) return message.result;
      if (!message.method || message.id !== undefined) continue;
      const params = message.params ?? {};
      if (message.method === 'notifications/progress' && progress && params['progressToken'] === progress.token && typeof params['progress'] === 'number') {
        progress.listener({
          progress: params['progress'],
          ...(typeof params['total'] === 'number' ? { total: params['total'] } : {}),
          ...(typeof params['message'] === 'string' ? { message: params['message'] } : {}),
        });
        continue;
      }
      this.options.handlers.onNotification(message.method, message.params);
    }
    throw new McpError(ErrorCodes.internalError, `The upstream answered ${method} with HTTP ${response.status} and no response`);
  }
}
