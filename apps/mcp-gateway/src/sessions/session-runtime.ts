import { randomUUID } from 'node:crypto';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@airlock/observability';
import { ErrorCodes, LATEST_LEGACY_PROTOCOL_VERSION, isNotification, isRequest, isResponse } from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '@airlock/mcp-protocol';
import { GatewayError } from '../errors/gateway-error.js';
import { jsonRpcErrorOf } from '../errors/error-response.js';
import { namespacedUri } from '../router/namespacing.js';
import { AggregateRouter } from '../router/aggregate-router.js';
import type { RouterUpstreams } from '../router/aggregate-router.js';
import { UpstreamToolList } from '../router/upstream-tool-list.js';
import type { UpstreamConnection as UpstreamLink } from '../upstream/upstream-connection.js';
import type { GatewaySession } from './session-directory.js';
import type { ToolVersion } from '../tenants/tool-definition.js';
import { RelatedStreams } from '../upstream/related-stream.js';
import type { ToolCallContext, ToolCallObservers } from '../observe/tool-call-observer.js';
import { CallCancel } from '../upstream/call-cancel.js';
import { UpstreamLink as RelayLink } from '../upstream/upstream-link.js';
import { OAuthUserConnection } from '../upstream/oauth-user-connection.js';
import type { UpstreamResume } from '../upstream/upstream-link.js';

/** Where the runtime's output goes: a request's stream, or the session's standalone (GET) stream. */
export interface RuntimeOutput {
  emit(streamId: string | undefined, message: JsonRpcMessage): Promise<void>;
  /**
   * The answer to a request (none when it was cancelled), then the end of its stream when `end` (its
   * last request): one step of the output's order instead of two.
   */
  answer(streamId: string | undefined, reply: JsonRpcMessage | undefined, end: boolean): Promise<void>;
  endStream(streamId: string): Promise<void>;
  pauseStream(streamId: string): Promise<void>;
}

export interface RuntimeHooks {
  output: RuntimeOutput;
  logger: Logger;
  /** Pinned tool definitions: the listed tools the client may see; records definitions the catalogue lacks (tool-pinning.ts). */
  gateTools(link: UpstreamLink, tools: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>>;
  /** Pinned tool definitions: the tool's version (hash of the definition seen upstream; `withheld`: it awaits approval and is refused); undefined when not pinned yet. */
  toolVersion(link: UpstreamLink, tool: string): Promise<ToolVersion | undefined>;
  /** Tools of an upstream an admin disabled: left out of tools/list, refused on tools/call as unknown. */
  disabledTools(link: UpstreamLink): Promise<ReadonlySet<string>>;
  /** Every tools/call of the session, refused or run (audit, and whatever else observes calls). */
  observer: ToolCallObservers;
  /** Items of one aggregated list page before it paginates. */
  aggregateListMaxItems: number;
}

/** What the call policy reads of the token that carried the session's newest request. */
export interface SessionPrincipal {
  groups: readonly string[];
  scopes: readonly string[];
}

/** What the router hands back to this session for each request it routes. */
interface RouteContext {
  request: JsonRpcRequest;
  cancel: CallCancel;
  streamId: string | undefined;
}

function toErrorObject(error: unknown): JsonRpcErrorObject {
  if (error instanceof GatewayError) return jsonRpcErrorOf(error);
  if (error instanceof McpError) {
    // The SDK prefixes "MCP error <code>: "; the client gets the upstream's own message.
    const message = error.message.replace(/^MCP error -?\d+: /, '');
    return { code: error.code, message, ...(error.data === undefined ? {} : { data: error.data }) };
  }
  return jsonRpcErrorOf(new GatewayError('internal'));
}

/**
 * The live side of one MCP session, on its home replica: the upstream sessions, the relay of requests in
 * both directions, and the aggregate's namespacing. Everything it says to the client goes through
 * `output`, i.e. the hot-store event log, never straight to a socket.
 */
export class SessionRuntime {
  /** Requests of a stream not answered yet, for streams that carry more than one (a batch). */
  private readonly streamPending = new Map<string, number>();
  private readonly inflight = new Map<JsonRpcId, CallCancel>();
  /** Streams with a request in flight at each upstream, newest last: where that upstream's requests go. */
  private readonly serverStreams = new Map<string, string[]>();
  /** The downstream stream of the upstream call an upstream's own request belongs to (http upstreams). */
  private readonly related = new RelatedStreams();
  private readonly clientRequests = new Map<string, { resolve: (result: Record<string, unknown>) => void; reject: (error: unknown) => void }>();
  private readonly servers: string[];
  /** Each upstream's latest tool list: the only names a tools/call may use (see UpstreamToolList). */
  private readonly toolLists = new Map<string, UpstreamToolList>();
  private readonly router: AggregateRouter<RouteContext>;

  constructor(
    readonly session: GatewaySession,
    private readonly links: Map<string, UpstreamLink>,
    private readonly hooks: RuntimeHooks,
  ) {
    this.servers = [...links.keys()].sort();
    this.router = new AggregateRouter('2025-11-25', this.upstreamsForRouter(), hooks.observer, hooks.aggregateListMaxItems);
  }

  /** When a client message last reached this session here (the home's hot path re-reads a session idle for long). */
  lastUsedAt = Date.now();

  /** Requests whose answer is not yet handed to the output (the upstream call, then the append). */
  private answering = 0;

  /** True while a client request is still being answered (graceful shutdown waits for these). */
  get busy(): boolean {
    return this.inflight.size > 0 || this.answering > 0;
  }

  /** The initialize result for this session's endpoint. */
  initializeResult(): Record<string, unknown> {
    if (this.session.target.kind === 'server') {
      const link = this.links.get(this.session.target.server)!;
      const instructions = link.client.getInstructions();
      return {
        protocolVersion: this.session.protocolVersion,
        capabilities: link.capabilities(),
        serverInfo: link.client.getServerVersion() ?? { name: link.server.name, version: '0' },
        ...(instructions ? { instructions } : {}),
      };
    }
    const merged: Record<string, Record<string, unknown>> = {};
    for (const link of this.links.values()) {
      for (const [key, value] of Object.entries(link.capabilities())) {
        if (['tools', 'prompts', 'resources', 'logging', 'completions'].includes(key)) merged[key] = { ...(merged[key] ?? {}), ...(value as Record<string, unknown>) };
      }
    }
    merged['tools'] = { ...(merged['tools'] ?? {}), listChanged: true };
    return {
      protocolVersion: this.session.protocolVersion ?? LATEST_LEGACY_PROTOCOL_VERSION,
      capabilities: merged,
      serverInfo: { name: `airlock-${this.session.tenant}`, version: '0.1.0' },
      instructions: `Tools, prompts and resources of ${this.servers.length} servers, named <server>__<name> (tools, prompts) and <server>+<uri> (resources).`,
    };
  }

  /** Handles messages from the client; answers to requests are appended to `streamId`. */
  async handle(messages: JsonRpcMessage[], streamId: string | undefined, principal?: SessionPrincipal): Promise<void> {
    // The newest request's token speaks for the session (one subject and client): its groups decide from now on.
    if (principal) this.principal = principal;
    let requests = 0;
    for (const message of messages) if (isRequest(message)) requests += 1;
    // A stream with one request ends with its answer: only batches are counted.
    if (streamId && requests > 1) this.streamPending.set(streamId, requests);
    // One message (nearly always): no array of promises.
    if (messages.length === 1) return this.take(messages[0]!, streamId);
    await Promise.all(messages.map((message) => this.take(message, streamId)));
  }

  private take(message: JsonRpcMessage, streamId: string | undefined): Promise<void> {
    if (isRequest(message)) return this.answer(message, streamId);
    if (isResponse(message)) {
      const pending = this.clientRequests.get(String(message.id));
      if (pending) {
        this.clientRequests.delete(String(message.id));
        if (message.error) pending.reject(new McpError(message.error.code, message.error.message, message.error.data));
        else pending.resolve(message.result ?? {});
      }
      return Promise.resolve();
    }
    if (isNotification(message)) return this.onClientNotification(message.method, message.params);
    return Promise.resolve();
  }

  private async answer(request: JsonRpcRequest, streamId: string | undefined): Promise<void> {
    this.answering += 1;
    try {
      const cancel = new CallCancel();
      this.inflight.set(request.id, cancel);
      let reply: JsonRpcMessage;
      try {
        reply = { jsonrpc: '2.0', id: request.id, result: await this.route(request, cancel, streamId) };
      } catch (error) {
        reply = { jsonrpc: '2.0', id: request.id, error: toErrorObject(error) };
      } finally {
        this.inflight.delete(request.id);
      }
      // A cancelled request gets no response (the client said it no longer wants one).
      await this.hooks.output.answer(streamId, cancel.aborted ? undefined : reply, streamId !== undefined && this.lastOfStream(streamId));
    } finally {
      this.answering -= 1;
    }
  }

  /** Counts an answered request of `streamId`; true when it was the stream's last. */
  private lastOfStream(streamId: string): boolean {
    const pending = this.streamPending.get(streamId);
    if (pending === undefined) return true;
    if (pending > 1) {
      this.streamPending.set(streamId, pending - 1);
      return false;
    }
    this.streamPending.delete(streamId);
    return true;
  }

  private link(server: string): UpstreamLink {
    const link = this.links.get(server);
    if (!link) throw new GatewayError('invalid_params', { message: `Unknown server: ${server}` });
    return link;
  }

  /**
   * Sends a request to `server`, remembering the stream so the upstream's own requests find the client.
   * The relay to http upstreams is told the stream; other links run in its async context (RelatedStreams).
   */
  private async call(
    server: string,
    link: UpstreamLink,
    method: string,
    params: Record<string, unknown> | undefined,
    cancel: CallCancel,
    streamId: string | undefined,
    onprogress?: (progress: { progress: number; total?: number; message?: string }) => void,
  ): Promise<Record<string, unknown>> {
    let streams = this.serverStreams.get(server);
    if (!streams) {
      streams = [];
      this.serverStreams.set(server, streams);
    }
    if (streamId) streams.push(streamId);
    try {
      if (link instanceof RelayLink || link instanceof OAuthUserConnection) return await link.request(method, params, { cancel, relatedStream: streamId, onprogress });
      const options = { signal: cancel.signal, ...(onprogress ? { onprogress } : {}) };
      return await (streamId ? this.related.run(streamId, () => link.request(method, params, options)) : link.request(method, params, options));
    } finally {
      if (streamId) streams.splice(streams.lastIndexOf(streamId), 1);
    }
  }

  private progressRelay(request: JsonRpcRequest, streamId: string | undefined) {
    const meta = request.params?.['_meta'] as Record<string, unknown> | undefined;
    const token = meta?.['progressToken'];
    if (token === undefined) return undefined;
    return (progress: { progress: number; total?: number; message?: string }) =>
      void this.hooks.output.emit(streamId, { jsonrpc: '2.0', method: 'notifications/progress', params: { ...progress, progressToken: token } });
  }

  private async route(request: JsonRpcRequest, cancel: CallCancel, streamId: string | undefined): Promise<Record<string, unknown>> {
    const { method } = request;
    const params = request.params;
    if (method === 'ping') return {};
    if (method === 'initialize') throw new GatewayError('invalid_request', { message: 'Invalid Request: the session is already initialized' });
    const context: RouteContext = { request, cancel, streamId };
    const perServer = this.session.target.kind === 'server' ? this.session.target.server : undefined;
    if (method === 'tools/call') return this.router.callTool(context, perServer, params, this.openToolCall);

    if (perServer !== undefined) {
      const link = this.link(perServer);
      const result = await this.call(perServer, link, method, params, cancel, streamId, this.progressRelay(request, streamId));
      if (method !== 'tools/list' || !Array.isArray(result['tools'])) return result;
      return this.router.visibleTools(context, perServer, result);
    }
    return this.router.route(context, method, params, this.openToolCall);
  }

  /** The observers' view of one tools/call of this session. */
  private principal: SessionPrincipal | undefined;

  private readonly openToolCall = (server: string, tool: string, args?: unknown): ToolCallContext => ({
    tenant: this.session.tenant,
    sessionId: this.session.id,
    subject: this.session.subject,
    clientId: this.session.clientId,
    server,
    tool,
    era: '2025-11-25',
    protocolVersion: this.session.protocolVersion,
    requestId: undefined,
    startedAt: Date.now(),
    ...(this.principal ? { groups: this.principal.groups, scopes: this.principal.scopes } : {}),
    arguments: args,
  });

  /** This session's upstream links as the router sees them. */
  private upstreamsForRouter(): RouterUpstreams<RouteContext> {
    return {
      servers: () => this.servers,
      has: (_context, server) => this.links.has(server),
      offers: (_context, server, capability) => this.links.get(server)!.capabilities()[capability] !== undefined,
      send: (context, server, method, params, via) => {
        const link = this.link(server);
        if (via.related) {
          const onprogress = via.progress ? this.progressRelay(context.request, context.streamId) : undefined;
          return this.call(server, link, method, params, context.cancel, context.streamId, onprogress);
        }
        return via.list ? link.request(method, params) : link.request(method, params, { signal: context.cancel.signal });
      },
      disabledTools: (_context, server) => this.hooks.disabledTools(this.link(server)),
      requireTool: (_context, server, tool, shown) => this.toolList(server, this.link(server)).require(tool, shown),
      listFailed: (_context, server, error) => {
        // Connected accounts: a server the user has not connected lists nothing until they do (not a failure).
        if (error instanceof GatewayError && (error.code === 'url_elicitation_required' || error.code === 'account_not_connected')) return;
        this.hooks.logger.warn({ err: error, upstream: server }, 'an upstream failed its list on the aggregated endpoint');
      },
      gateTools: (_context, server, tools) => this.hooks.gateTools(this.link(server), tools),
      toolVersion: (_context, server, tool) => this.hooks.toolVersion(this.link(server), tool),
    };
  }

  private toolList(server: string, link: UpstreamLink): UpstreamToolList {
    let list = this.toolLists.get(server);
    if (!list) {
      list = new UpstreamToolList(async (cursor) => {
        const page = await link.request('tools/list', cursor ? { cursor } : undefined);
        // The list a call reads is checked against the pins too: a changed definition is caught even when the client never listed.
        if (Array.isArray(page['tools'])) await this.hooks.gateTools(link, page['tools'] as Array<Record<string, unknown>>);
        return page;
      });
      this.toolLists.set(server, list);
    }
    return list;
  }

  private async onClientNotification(method: string, params: Record<string, unknown> | undefined): Promise<void> {
    if (method === 'notifications/initialized') return;
    if (method === 'notifications/cancelled') {
      const id = params?.['requestId'];
      if (typeof id === 'string' || typeof id === 'number') this.inflight.get(id)?.abort(params?.['reason']);
      return;
    }
    if (method === 'notifications/roots/list_changed') {
      await Promise.all([...this.links.values()].map((link) => link.notify(method, params).catch(() => undefined)));
    }
  }

  /**
   * A request from an upstream to the client: sent on the stream of the call it relates to (http
   * upstreams), else of a call in flight there (stdio: one pipe), else on GET.
   */
  async relayUpstreamRequest(server: string, method: string, params: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    const id = `airlock-${randomUUID()}`;
    const streams = this.serverStreams.get(server) ?? [];
    const streamId = this.related.current() ?? streams[streams.length - 1];
    const result = new Promise<Record<string, unknown>>((resolve, reject) => this.clientRequests.set(id, { resolve, reject }));
    await this.hooks.output.emit(streamId, { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    return result;
  }

  relayUpstreamNotification(server: string, method: string, params: Record<string, unknown> | undefined): void {
    const streams = this.serverStreams.get(server) ?? [];
    const streamId = this.related.current() ?? streams[streams.length - 1];
    let relayed = params;
    if (method === 'notifications/tools/list_changed') this.toolLists.get(server)?.invalidate();
    if (this.session.target.kind === 'aggregated' && method === 'notifications/resources/updated' && typeof params?.['uri'] === 'string') {
      relayed = { ...params, uri: namespacedUri(server, params['uri']) };
    }
    void this.hooks.output.emit(streamId, { jsonrpc: '2.0', method, ...(relayed ? { params: relayed } : {}) }).catch((error: unknown) =>
      this.hooks.logger.warn({ err: error, server }, 'could not relay an upstream notification'),
    );
  }

  /** The upstream closed a stream mid-call (SEP-1699 polling): close the client's streams of that upstream too. */
  pauseStreams(server: string): void {
    for (const streamId of new Set(this.serverStreams.get(server) ?? [])) {
      void this.hooks.output.pauseStream(streamId).catch((error: unknown) => this.hooks.logger.warn({ err: error }, 'could not pause a stream'));
    }
  }

  /**
   * Lets go of the upstream links of a released session: http 2025 upstream sessions are left open and
   * their resume state returned (by server), the rest closed (stdio processes stop; 2026 links are stateless).
   */
  async detach(): Promise<Record<string, UpstreamResume>> {
    const resume: Record<string, UpstreamResume> = {};
    await Promise.all(
      [...this.links].map(async ([server, link]) => {
        const state = link instanceof RelayLink ? link.resumeState() : undefined;
        if (!state) return link.close();
        resume[server] = state;
        return (link as RelayLink).detach();
      }),
    );
    return resume;
  }

  async close(): Promise<void> {
    for (const cancel of this.inflight.values()) cancel.abort('session ended');
    for (const pending of this.clientRequests.values()) pending.reject(new McpError(ErrorCodes.sessionNotFound, 'Session ended'));
    this.clientRequests.clear();
    await Promise.all([...this.links.values()].map((link) => link.close()));
  }
}
