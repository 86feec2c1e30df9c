import { StringDecoder } from 'node:string_decoder';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, JSONRPCMessageSchema, McpError, ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Logger } from '@airlock/observability';
import { SpanKind, endSpan, startSpan, traceparentOf, tracestateOf } from '@airlock/tracing';
import type { Span } from '@airlock/tracing';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import type { CallerContext, UpstreamCredentials, UpstreamSecrets } from './upstream-credentials.js';
import type { LaunchedStdio, StdioLauncher } from './stdio-launcher.js';
import type { StderrRelay } from './stderr-relay.js';
import { SseParser, startExchange, upstreamPool } from './http-relay.js';
import type { UpstreamEgress } from './upstream-egress.js';
import type { Exchange, ResponseSink, SseEvent } from './http-relay.js';
import type { CallCancel } from './call-cancel.js';
import { CallDeadlines } from './call-deadlines.js';
import { withRelatedStream } from './related-stream.js';
import type { Pool } from 'undici';

export interface UpstreamLinkHandlers {
  /** A request the upstream sends to the client (sampling, elicitation, roots); resolves with its result. */
  onRequest(method: string, params: Record<string, unknown> | undefined): Promise<Record<string, unknown>>;
  onNotification(method: string, params: Record<string, unknown> | undefined): void;
  /** An http upstream closed a request stream mid-call and the SDK is resuming it (SEP-1699 polling). */
  onStreamPaused(): void;
  /** The upstream went away (process exit, session gone): the downstream session must end. */
  onClose(): void;
}

export interface ConnectOptions {
  server: UpstreamServerRecord;
  secrets: UpstreamSecrets;
  credentials: UpstreamCredentials;
  /** Every http connection checked against the operator's address policy. */
  egress: UpstreamEgress;
  caller: CallerContext;
  stdio: StdioLauncher;
  /** Capabilities of the downstream client, mirrored so the upstream asks only for what can be relayed. */
  clientCapabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string };
  logger: Logger;
  handlers: UpstreamLinkHandlers;
  /**
   * An http upstream session a released replica left open (`UpstreamLink.detach`): reused without
   * initialize when the upstream still knows it, else a new session is initialized as usual.
   */
  resume?: UpstreamResume;
}

/** What a new home needs to go on with an http upstream's 2025 session: its id and what initialize negotiated. */
export interface UpstreamResume {
  sessionId: string;
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: { name: string; version: string };
  instructions?: string;
}

/** The SDK client's fields that initialize sets; a resumed session sets them from the stored result instead. */
interface InitializedClient {
  _serverCapabilities: unknown;
  _serverVersion: unknown;
  _instructions: unknown;
}

const CALL_TIMEOUT_MS = 10 * 60_000;
/** Reconnection delay when an upstream closed a call's stream without saying `retry` (the SDK's default). */
const DEFAULT_RESUME_DELAY_MS = 1_000;
/** Resumptions of one call's stream in a row that fail before the call fails (the SDK's default). */
const MAX_RESUME_FAILURES = 2;

/**
 * One validator for every upstream client: the SDK compiles tool output schemas with it, and an Ajv
 * instance per upstream session cost milliseconds of CPU at every session start.
 */
const sharedValidator = new AjvJsonSchemaValidator();

type Progress = { progress: number; total?: number; message?: string };
type Message = Record<string, unknown>;

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Like `signal`, cheaper: what the session runtime passes (no AbortController per call). */
  cancel?: CallCancel | undefined;
  /**
   * The downstream stream of the call: an upstream's own request or notification on the call's stream
   * reaches the SDK client's handlers with it as `RelatedStreams.current()` (http upstreams).
   */
  relatedStream?: string | undefined;
  onprogress?: ((progress: Progress) => void) | undefined;
  /** W3C trace context of the call's client span (tracing on): sent as HTTP headers beside `params._meta`. */
  traceHeaders?: Readonly<Record<string, string>> | undefined;
}

/** A request relayed outside the SDK: settled by its response, whichever stream it arrives on. */
interface RelayedCall {
  settle(message: Message): void;
  /** Ends the call with `error` and stops reading its stream, telling the upstream nothing (the session is closing). */
  drop(error: Error): void;
}

/** What a relayed call tells its link: it ended (forget it), or it was cancelled (tell the upstream). */
interface CallEnds {
  ended(call: HttpCall): void;
  cancelled(call: HttpCall, reason: unknown): void;
}

/** Every relayed call's timeout, checked by one timer for the process (see CallDeadlines). */
const deadlines = new CallDeadlines(CALL_TIMEOUT_MS, 5_000);

/**
 * One request relayed to an http upstream: its promise, its cancellation and its timeout in one object
 * (no closures, timer or abort listener object per call).
 */
class HttpCall implements RelayedCall {
  done = false;
  /** The exchange reading the call's answer now, if any (stopped when the call ends early). */
  reading: Exchange | undefined = undefined;
  readonly answer: Promise<Record<string, unknown>>;
  private resolve!: (result: Record<string, unknown>) => void;
  private reject!: (error: unknown) => void;
  private readonly onSignal: (() => void) | undefined;

  constructor(
    readonly id: string,
    private readonly link: CallEnds,
    readonly options: RequestOptions,
  ) {
    this.answer = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    deadlines.add(this);
    const { signal, cancel } = options;
    if (cancel) cancel.onAbort((reason) => this.cancel(new McpError(ErrorCode.RequestTimeout, String(reason)), reason));
    if (signal) {
      this.onSignal = () => this.cancel(new McpError(ErrorCode.RequestTimeout, String(signal.reason)), signal.reason);
      signal.addEventListener('abort', this.onSignal, { once: true });
    }
  }

  private finish(): void {
    this.done = true;
    this.link.ended(this);
    deadlines.delete(this);
    this.options.cancel?.onAbort(undefined);
    if (this.onSignal) this.options.signal?.removeEventListener('abort', this.onSignal);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.finish();
    this.reject(error);
  }

  /** `fail` as a function of its own, for the exchange's rejection. */
  readonly failed = (error: unknown): void => this.fail(error);

  settle(message: Message): void {
    if (this.done) return;
    this.finish();
    const outcome = outcomeOf(message);
    if ('error' in outcome) this.reject(outcome.error);
    else this.resolve(outcome.result);
  }

  drop(error: Error): void {
    this.fail(error);
    this.reading?.abort();
  }

  /** The call ends without an answer: tell the upstream and stop reading (the SDK does the same on abort and timeout). */
  private cancel(error: McpError, reason: unknown): void {
    if (this.done) return;
    this.fail(error);
    this.reading?.abort();
    this.link.cancelled(this, reason);
  }

  expire(): void {
    this.cancel(McpError.fromError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: CALL_TIMEOUT_MS }), 'Request timed out');
  }
}

/** The headers a relayed call's POST starts from. */
const POST_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });

/** Reads one response of a relayed call: anything but SSE is read whole, SSE handled event by event as it arrives. */
class AnswerReader implements ResponseSink {
  status = 0;
  kind: 'json' | 'sse' | 'other' = 'other';
  contentType = '';
  readonly chunks: Buffer[] = [];
  private decoder: StringDecoder | undefined;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly parser: () => SseParser,
  ) {}

  start(status: number, contentType: string): void {
    this.status = status;
    this.contentType = contentType;
    if (status >= 200 && status < 300) this.kind = contentType.includes('text/event-stream') ? 'sse' : contentType.includes('application/json') ? 'json' : 'other';
  }

  data(chunk: Buffer): void {
    if (this.kind === 'sse') this.parser().push((this.decoder ??= new StringDecoder('utf8')).write(chunk), this.onEvent);
    else this.chunks.push(chunk);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What the SDK's zod schemas checked of a response and the relay still checks: JSON-RPC shape, a result
 * that is an object (with an object `_meta` if any), an error with an integer code and a string message.
 * Members of the result are not checked: the gateway forwards them as is and the client validates them.
 */
function outcomeOf(message: Message): { result: Record<string, unknown> } | { error: Error } {
  if (message['jsonrpc'] !== '2.0') return { error: new McpError(ErrorCode.InternalError, 'Upstream sent an invalid JSON-RPC response') };
  const error = message['error'];
  if (error !== undefined) {
    if (isObject(error) && Number.isInteger(error['code']) && typeof error['message'] === 'string') {
      return { error: McpError.fromError(error['code'] as number, error['message'], error['data']) };
    }
    return { error: new McpError(ErrorCode.InternalError, 'Upstream sent an invalid JSON-RPC error') };
  }
  const result = message['result'];
  if (!isObject(result) || (result['_meta'] !== undefined && !isObject(result['_meta']))) {
    return { error: new McpError(ErrorCode.InternalError, 'Upstream sent an invalid result') };
  }
  return { result };
}

/** What a relayed request to an http upstream needs besides the SDK transport's session state. */
interface HttpTarget {
  url: URL;
  /** The shared connection pool of the upstream's origin. */
  pool: Pool;
  /** Path and query of the upstream's MCP endpoint. */
  path: string;
  /** The upstream credentials' headers, fetched per request. */
  headers: () => Promise<Record<string, string>>;
  /** The credentials' headers when they never change (none, static header): no per-request lookup. */
  fixedHeaders: Record<string, string> | undefined;
  onStreamPaused: () => void;
}

/**
 * A stdio server that ended (or never answered) before initialize completed: its last stderr lines go to
 * the log, where the operator finds why (a missing package, a TLS error, a sandbox bwrap could not build);
 * the client only ever sees the generic "unavailable".
 */
async function reportFailedStart(stderr: StderrRelay, tags: { tenant: string; upstream: string }, logger: Logger): Promise<void> {
  // Let the last stderr chunks of the exited process arrive.
  await new Promise((resolve) => setImmediate(resolve));
  const lines = stderr.lastLines();
  const sandboxLine = lines.find((line) => line.startsWith('bwrap:'));
  const message = sandboxLine ? `stdio server not started: the sandbox could not be set up (${sandboxLine})` : 'stdio server failed to initialize';
  logger.error({ ...tags, stderr: lines }, message);
}

/** A network failure reaching the upstream (what fetch reports as "fetch failed"). */
class UpstreamUnreachableError extends Error {
  constructor(cause: unknown) {
    super('upstream unreachable', { cause });
  }
}

/**
 * One upstream MCP session, opened for one downstream session and closed with it. Built on the official
 * SDK client, used as a relay: results go back exactly as the upstream sent them.
 */
export class UpstreamLink {
  private closedByUs = false;
  private gone = false;
  /** Only a link that was up can die: a failed connect is reported by `connect` itself. */
  private up = false;
  private readonly progress = new Map<string, (progress: Progress) => void>();
  private progressCounter = 0;
  /** Requests relayed straight to an http upstream, by their JSON-RPC id. */
  private readonly calls = new Map<string, RelayedCall>();
  private callCounter = 0;
  /** The SDK client's own message handler: whatever the relay does not handle itself goes there. */
  private deliver: Transport['onmessage'];
  /** The POST headers of relayed calls, while the upstream session id and protocol version are these. */
  private postHeaders: { sessionId: string | undefined; version: string | undefined; headers: Record<string, string> } | undefined;

  private constructor(
    readonly server: UpstreamServerRecord,
    readonly client: Client,
    private readonly transport: Transport,
    private readonly onGone: () => void,
    private readonly http?: HttpTarget,
  ) {}

  /**
   * An http upstream has no connection whose loss says it died: it is gone when it no longer knows the
   * session (404) or cannot be reached at all. Either way the downstream session ends, once.
   */
  private noticeFailure(error: unknown): void {
    const lostSession = error instanceof StreamableHTTPError && error.code === 404;
    const unreachable = (error instanceof TypeError && /fetch failed/i.test(error.message)) || error instanceof UpstreamUnreachableError;
    if ((lostSession || unreachable) && !this.gone && !this.closedByUs) {
      this.gone = true;
      this.onGone();
    }
  }

  static async connect(options: ConnectOptions): Promise<UpstreamLink> {
    const { server, logger } = options;
    const capabilities: Record<string, unknown> = {};
    for (const key of ['sampling', 'elicitation', 'roots'] as const) {
      if (options.clientCapabilities[key] !== undefined) capabilities[key] = options.clientCapabilities[key];
    }
    const client = new Client(options.clientInfo, { capabilities, jsonSchemaValidator: sharedValidator });
    client.fallbackRequestHandler = async (request) => (await options.handlers.onRequest(request.method, request.params as Record<string, unknown> | undefined)) as never;
    client.fallbackNotificationHandler = async (notification) => options.handlers.onNotification(notification.method, notification.params as Record<string, unknown> | undefined);

    let transport: Transport;
    let http: HttpTarget | undefined;
    let stderr: StderrRelay | undefined;
    if (server.transport === 'http') {
      if (!server.url) throw new Error(`upstream ${server.name} has no URL`);
      transport = new StreamableHTTPClientTransport(new URL(server.url), {
        // With a session id the SDK client skips initialize (see `resumed` below).
        ...(options.resume ? { sessionId: options.resume.sessionId } : {}),
        fetch: async (url, init) => {
          const headers = new Headers(init?.headers);
          // The SDK resumes a closed stream with GET + Last-Event-ID; seeing that is how a pause is noticed.
          if ((init?.method ?? 'GET') === 'GET' && headers.has('last-event-id')) options.handlers.onStreamPaused();
          // Per request, so expiring upstream tokens are renewed mid-session.
          for (const [name, value] of Object.entries(await options.credentials.headers(server, options.secrets, options.caller))) headers.set(name, value);
          return options.egress.fetch(url, { ...init, headers });
        },
      });
      const url = new URL(server.url);
      http = {
        url,
        pool: upstreamPool(url, options.egress.connect),
        path: `${url.pathname}${url.search}`,
        headers: () => options.credentials.headers(server, options.secrets, options.caller),
        fixedHeaders: options.credentials.fixedHeaders(server, options.secrets),
        onStreamPaused: () => options.handlers.onStreamPaused(),
      };
    } else {
      if (!server.command) throw new Error(`upstream ${server.name} has no command`);
      const wait = options.stdio.backoffMs(server.id);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      let launched: LaunchedStdio;
      try {
        launched = options.stdio.launch({ ...server, command: server.command }, options.secrets.env ?? {}, { tenant: options.caller.tenant }, logger);
      } catch (error) {
        // Fail closed: no sandbox, no server. The cause is the operator's to read, not the client's.
        logger.error({ tenant: options.caller.tenant, upstream: server.name, err: error }, 'stdio server not started');
        throw error;
      }
      stderr = launched.stderr;
      transport = launched.transport;
    }
    const link = new UpstreamLink(server, client, transport, () => options.handlers.onClose(), http);
    client.onerror = (error) => logger.warn({ upstream: server.name, err: error }, 'upstream protocol error');
    client.onclose = () => {
      if (link.up && !link.closedByUs && !link.gone) {
        link.gone = true;
        if (server.transport === 'stdio') options.stdio.crashed(server.id);
        options.handlers.onClose();
      }
    };
    try {
      await client.connect(transport);
    } catch (error) {
      if (stderr) await reportFailedStart(stderr, { tenant: options.caller.tenant, upstream: server.name }, logger);
      throw error;
    }
    if (options.resume && transport instanceof StreamableHTTPClientTransport && !(await UpstreamLink.resumed(client, transport, options.resume, options))) {
      // The upstream forgot the session (404, restarted): a new one, initialized with the same client capabilities.
      const { resume: _forgotten, ...fresh } = options;
      return UpstreamLink.connect(fresh);
    }
    link.intercept();
    link.up = true;
    return link;
  }

  /**
   * Goes on with an upstream session initialized by another replica: the negotiated result as stored,
   * one ping to learn whether the upstream still knows the session, then the standalone GET stream the
   * SDK opens after `notifications/initialized` (not sent twice: the upstream saw it once).
   */
  private static async resumed(client: Client, transport: StreamableHTTPClientTransport, resume: UpstreamResume, options: ConnectOptions): Promise<boolean> {
    const initialized = client as unknown as InitializedClient;
    initialized._serverCapabilities = resume.capabilities;
    initialized._serverVersion = resume.serverInfo;
    initialized._instructions = resume.instructions;
    transport.setProtocolVersion(resume.protocolVersion);
    try {
      await client.ping();
    } catch (error) {
      options.logger.info({ upstream: options.server.name, err: error }, 'the upstream no longer knows the session; initializing a new one');
      await client.close().catch(() => undefined);
      return false;
    }
    // resumeStream without an event id opens the standalone GET stream (the SDK's own call after initialized).
    void transport.resumeStream(undefined as unknown as string).catch((error: unknown) => options.logger.warn({ upstream: options.server.name, err: error }, 'could not open the resumed upstream session\'s GET stream'));
    return true;
  }

  /** The revision initialize agreed on (http upstreams: their transport keeps it; undefined for stdio). */
  negotiatedProtocolVersion(): string | undefined {
    return this.transport instanceof StreamableHTTPClientTransport ? this.transport.protocolVersion : undefined;
  }

  /** What another replica needs to reuse this upstream session (http 2025 upstreams only). */
  resumeState(): UpstreamResume | undefined {
    if (!(this.transport instanceof StreamableHTTPClientTransport) || this.gone) return undefined;
    const sessionId = this.transport.sessionId;
    const protocolVersion = this.transport.protocolVersion;
    const serverInfo = this.client.getServerVersion();
    if (!sessionId || !protocolVersion || !serverInfo) return undefined;
    const instructions = this.client.getInstructions();
    return { sessionId, protocolVersion, capabilities: this.capabilities(), serverInfo, ...(instructions ? { instructions } : {}) };
  }

  /** Lets go of the upstream session without ending it (a released session: its next home reuses it). */
  async detach(): Promise<void> {
    this.closedByUs = true;
    for (const call of [...this.calls.values()]) call.drop(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    await this.client.close().catch(() => undefined);
  }

  /**
   * Progress notifications are taken off the transport before the SDK sees them: the SDK runs
   * notification handlers a microtask late but resolves responses at once, so the last progress of a
   * call, arriving in the same read as the result, would find its handler already gone. Responses to
   * relayed requests are taken off too (an upstream may answer on another stream, e.g. a resumed one).
   */
  private intercept(): void {
    this.deliver = this.transport.onmessage?.bind(this.transport);
    this.transport.onmessage = (message, extra) => {
      if (this.takeOwn(message as unknown as Message)) return;
      this.deliver?.(message, extra);
    };
  }

  /** Handles a progress notification or a response of the relay's own; false for anything else. */
  private takeOwn(message: Message): boolean {
    if (message['method'] === 'notifications/progress' && !('id' in message)) {
      const params = (message['params'] ?? {}) as { progressToken?: unknown; progress?: unknown; total?: number; message?: string };
      const listener = typeof params.progressToken === 'string' ? this.progress.get(params.progressToken) : undefined;
      if (listener && typeof params.progress === 'number') {
        listener({
          progress: params.progress,
          ...(params.total !== undefined ? { total: params.total } : {}),
          ...(params.message !== undefined ? { message: params.message } : {}),
        });
        return true;
      }
      return false;
    }
    if (message['method'] === undefined && typeof message['id'] === 'string') {
      const call = this.calls.get(message['id']);
      if (call) {
        call.settle(message);
        return true;
      }
    }
    return false;
  }

  /** A message of a relayed call's stream that is not the relay's own: checked, then the SDK client handles it. */
  private toClient(message: unknown): void {
    const parsed = JSONRPCMessageSchema.safeParse(message);
    if (!parsed.success) {
      this.client.onerror?.(new Error('upstream sent an invalid JSON-RPC message'));
      return;
    }
    this.deliver?.(parsed.data);
  }

  /**
   * Sends a request and returns the upstream's result unchanged; progress is reported through `onprogress`.
   * A traced request gets a client span; its trace context goes upstream in `params._meta` (traceparent,
   * tracestate) and, over HTTP, in the headers.
   */
  request(method: string, params: Record<string, unknown> | undefined, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    const span = startSpan(method, SpanKind.CLIENT);
    if (!span) return this.send(method, params, options);
    return this.sendTraced(span, method, params, options);
  }

  private async sendTraced(span: Span, method: string, params: Record<string, unknown> | undefined, options: RequestOptions): Promise<Record<string, unknown>> {
    const { server } = this;
    if (typeof params?.['name'] === 'string') span.updateName(`${method} ${params['name']}`);
    span.setAttributes({
      'mcp.method.name': method,
      'airlock.server': server.name,
      'airlock.server.id': server.id,
      'network.transport': server.transport === 'stdio' ? 'pipe' : 'tcp',
      ...(method === 'tools/call' && typeof params?.['name'] === 'string' ? { 'gen_ai.tool.name': params['name'], 'gen_ai.operation.name': 'execute_tool' } : {}),
    });
    if (this.http) {
      span.setAttributes({ 'server.address': this.http.url.hostname, 'server.port': Number(this.http.url.port || (this.http.url.protocol === 'https:' ? 443 : 80)), 'network.protocol.name': 'http' });
      const sessionId = (this.transport as StreamableHTTPClientTransport).sessionId;
      if (sessionId) span.setAttribute('mcp.session.id', sessionId);
    }
    const traceparent = traceparentOf(span);
    const tracestate = tracestateOf(span);
    const context: Record<string, string> = tracestate ? { traceparent, tracestate } : { traceparent };
    const meta = { ...((params?.['_meta'] as Record<string, unknown> | undefined) ?? {}), ...context };
    try {
      const result = await this.send(method, { ...params, _meta: meta }, { ...options, traceHeaders: context });
      if (result['isError'] === true) span.setAttribute('error.type', 'tool_error');
      endSpan(span);
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private send(method: string, params: Record<string, unknown> | undefined, options: RequestOptions): Promise<Record<string, unknown>> {
    let sent = params;
    let token: string | undefined;
    if (options.onprogress) {
      token = `airlock-progress-${++this.progressCounter}`;
      this.progress.set(token, options.onprogress);
      sent = { ...params, _meta: { ...((params?.['_meta'] as Record<string, unknown> | undefined) ?? {}), progressToken: token } };
    }
    let pending: Promise<Record<string, unknown>>;
    if (this.http) pending = this.relay(this.http, method, sent, options);
    else {
      const signal = options.signal ?? options.cancel?.signal;
      pending = this.client.request({ method, ...(sent ? { params: sent } : {}) } as never, ResultSchema, {
        timeout: CALL_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      }) as Promise<Record<string, unknown>>;
    }
    if (token === undefined) return pending.catch(this.failed);
    const listening = token;
    return pending.then(
      (result) => {
        this.progress.delete(listening);
        return result;
      },
      (error: unknown) => {
        this.progress.delete(listening);
        return this.failed(error);
      },
    );
  }

  /** A request failed: the link may have lost its upstream (see `noticeFailure`). One function per link, not per call. */
  private readonly failed = (error: unknown): never => {
    this.noticeFailure(error);
    throw error;
  };

  /**
   * The hot path to an http upstream: one POST on the shared pool, the answer read as JSON or SSE,
   * without the SDK's per-request machinery (schema parsing of results, abort controller chains, WHATWG
   * fetch). The SDK client still did initialize and still handles what the upstream sends besides the
   * answer (its requests, notifications), and it answers those itself.
   */
  private relay(http: HttpTarget, method: string, params: Record<string, unknown> | undefined, options: RequestOptions): Promise<Record<string, unknown>> {
    if (this.closedByUs || this.gone) return Promise.reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    const { signal, cancel } = options;
    if (signal?.aborted) return Promise.reject(new McpError(ErrorCode.RequestTimeout, String(signal.reason)));
    if (cancel?.aborted) return Promise.reject(new McpError(ErrorCode.RequestTimeout, String(cancel.reason)));
    const id = `airlock-${++this.callCounter}`;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    const call = new HttpCall(id, this.callEnds, options);
    this.calls.set(id, call);
    this.exchange(http, body, call).then(() => {
      // Checked first: an error (its stack) costs more than the rest of a call's bookkeeping.
      if (!call.done) call.fail(new McpError(ErrorCode.ConnectionClosed, 'Upstream closed the stream without answering'));
    }, call.failed);
    return call.answer;
  }

  /** What every relayed call of this link reports to it: made once per link. */
  private readonly callEnds: CallEnds = {
    ended: (call) => this.calls.delete(call.id),
    cancelled: (call, reason) =>
      this.transport
        .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.id, reason: String(reason) } })
        .catch((sendError: unknown) => this.client.onerror?.(new Error(`Failed to send cancellation: ${String(sendError)}`))),
  };

  /**
   * The headers of a relayed request. With credentials that never change they are built once and reused
   * while the upstream session id and protocol version stay the same (undici only reads them).
   */
  private requestHeaders(http: HttpTarget, extra: Readonly<Record<string, string>>): Record<string, string> | Promise<Record<string, string>> {
    const transport = this.transport as StreamableHTTPClientTransport;
    const sessionId = transport.sessionId;
    const version = transport.protocolVersion;
    const build = (credentials: Record<string, string>) => ({
      ...extra,
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
      ...(version ? { 'mcp-protocol-version': version } : {}),
      // Never the user's token: the upstream's own credentials.
      ...credentials,
    });
    if (!http.fixedHeaders) return http.headers().then(build);
    if (extra !== POST_HEADERS) return build(http.fixedHeaders);
    const cached = this.postHeaders;
    if (cached && cached.sessionId === sessionId && cached.version === version) return cached.headers;
    const headers = Object.freeze(build(http.fixedHeaders));
    this.postHeaders = { sessionId, version, headers };
    return headers;
  }

  /** Sends the POST and reads its answer, resuming a stream the upstream closed early (SEP-1699); resolves at its end. */
  private async exchange(http: HttpTarget, body: string, call: HttpCall): Promise<void> {
    const pool = http.pool;
    // SSE messages are handled in undici's socket callbacks, whose async context is not the call's: a
    // message handed to the SDK client is handled with the call's downstream stream as its related stream.
    const related = call.options.relatedStream;
    const handOver = (message: unknown) => {
      if (isObject(message) && this.takeOwn(message)) return;
      if (related === undefined) this.toClient(message);
      else withRelatedStream(related, () => this.toClient(message));
    };
    let sse: SseParser | undefined;
    let lastEventId: string | undefined;
    let failures = 0;
    const headers = this.requestHeaders(http, POST_HEADERS);
    const { traceHeaders } = call.options;
    let request: Parameters<typeof startExchange>[1] = { path: http.path, method: 'POST', headers: headers instanceof Promise ? await headers : headers, body };
    if (traceHeaders) request.headers = { ...request.headers, ...traceHeaders };
    for (;;) {
      const reader = new AnswerReader((event) => {
        if (event.id !== undefined) lastEventId = event.id;
        if (event.data === '' || (event.event !== undefined && event.event !== 'message')) return;
        let message: unknown;
        try {
          message = JSON.parse(event.data);
        } catch {
          this.client.onerror?.(new Error('upstream sent an SSE event that is not JSON'));
          return;
        }
        handOver(message);
      }, () => (sse ??= new SseParser()));
      const current = startExchange(pool, request, reader);
      call.reading = current;
      let streamError: unknown;
      try {
        await current.done;
      } catch (error) {
        if (call.done) return;
        if (reader.status === 0) throw new UpstreamUnreachableError(error);
        streamError = error;
      } finally {
        call.reading = undefined;
      }
      if (call.done) return;
      const { status, kind, chunks } = reader;
      if (status < 200 || status >= 300) {
        throw new StreamableHTTPError(status, `Error POSTing to endpoint: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`);
      }
      if (kind === 'json') {
        if (streamError !== undefined) throw new UpstreamUnreachableError(streamError);
        let parsed: unknown;
        try {
          parsed = JSON.parse(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw new McpError(ErrorCode.ParseError, 'Upstream sent invalid JSON');
        }
        if (Array.isArray(parsed)) for (const message of parsed) handOver(message);
        else handOver(parsed);
        return;
      }
      if (kind === 'other') throw new McpError(ErrorCode.InternalError, `Unexpected content type from upstream: ${reader.contentType}`);
      if (streamError !== undefined) {
        failures += 1;
        if (lastEventId === undefined || failures > MAX_RESUME_FAILURES) throw new UpstreamUnreachableError(streamError);
      } else failures = 0;
      if (call.done || lastEventId === undefined) return;
      // The upstream closed the stream before answering and said where to resume: GET with Last-Event-ID.
      http.onStreamPaused();
      await new Promise((resolve) => setTimeout(resolve, sse?.retryMs ?? DEFAULT_RESUME_DELAY_MS));
      if (call.done) return;
      const resumeHeaders = this.requestHeaders(http, { accept: 'text/event-stream', 'last-event-id': lastEventId });
      request = { path: http.path, method: 'GET', headers: resumeHeaders instanceof Promise ? await resumeHeaders : resumeHeaders };
    }
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.client.notification({ method, ...(params ? { params } : {}) } as never);
  }

  capabilities(): Record<string, unknown> {
    return (this.client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    for (const call of [...this.calls.values()]) call.drop(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    // Streamable HTTP: DELETE the upstream session so the upstream frees it now, not at its idle timeout.
    if (this.transport instanceof StreamableHTTPClientTransport) await this.transport.terminateSession().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}
