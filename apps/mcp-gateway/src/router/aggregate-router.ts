import { SpanKind, endSpan, startSpan } from '@airlock/tracing';
import { GatewayError } from '../errors/gateway-error.js';
import { failureOutcome, refusalOutcome, resultOutcome } from '../observe/tool-call-observer.js';
import type { ClientEra, ToolCallContext, ToolCallObservers, ToolCallOutcome } from '../observe/tool-call-observer.js';
import { AGGREGATED_LISTS, aggregateList, upstreamPage } from './aggregated-list.js';
import { namespacedUri, splitName, splitUri, toolTarget } from './namespacing.js';
import { toolWithheldError, unknownToolError, withoutDisabledTools } from './upstream-tool-list.js';
import type { ToolVersion } from '../tenants/tool-definition.js';

// The one router of the gateway, below both client-facing eras: the aggregate's namespacing, its lists,
// and every tools/call (on either endpoint) with the observers around it. The era adapters above it
// (edge/client-2025 sessions, edge/client-2026 stateless) give it their upstreams as a RouterUpstreams
// and turn what it returns or throws into their own answers.

type Params = Record<string, unknown>;

/** How an adapter sends one request: what it now names upstream, and what rides along (adapter-specific). */
export interface SendVia {
  /** The tool, prompt or resource URI the request names at the upstream (the aggregate's prefix removed). */
  name?: string;
  /** A call whose upstream requests (sampling, elicitation, roots) belong on the client's stream of this request. */
  related?: boolean;
  /** Relay the upstream's progress notifications to the client. */
  progress?: boolean;
  /** One page of an aggregated list. */
  list?: boolean;
}

/**
 * The upstreams of one endpoint as the router sees them, whatever their era. `C` is the adapter's own
 * context of the request (its stream, its cancellation, its HTTP call), passed back unopened.
 */
export interface RouterUpstreams<C> {
  /** The upstreams the endpoint routes among, in name order. */
  servers(context: C): readonly string[];
  has(context: C, server: string): boolean;
  /** Whether `server` offers `capability`; an aggregated list skips those that do not. */
  offers(context: C, server: string, capability: string): boolean;
  /** One request to one upstream: its result, or a thrown error the adapter knows how to answer. */
  send(context: C, server: string, method: string, params: Params | undefined, via: SendVia): Promise<Params>;
  /** Tools of `server` an admin disabled: left out of tools/list and refused on tools/call as unknown tools. */
  disabledTools(context: C, server: string): Promise<ReadonlySet<string>>;
  /** Resolves when `tool` is exactly a name the upstream listed; throws unknown_tool (or why the list could not be read). */
  requireTool(context: C, server: string, tool: string, shown: string): Promise<void>;
  /** The upstream failed its page of an aggregated list: it contributes nothing. */
  listFailed(context: C, server: string, error: unknown): void;
  /** An upstream's tools/list page was read (a session keeps the names). */
  toolsListed?(context: C, server: string, tools: Params[]): void;
  /** Pinned tool definitions: the listed tools a client may see (changed ones withheld, or marked in flag mode). */
  gateTools?(context: C, server: string, tools: Params[]): Promise<Params[]>;
  /** Pinned tool definitions: the tool's version (hash of the definition seen upstream; `withheld`: it awaits approval and is refused); undefined when not pinned yet. */
  toolVersion?(context: C, server: string, tool: string): Promise<ToolVersion | undefined>;
}

/** The few things the client-facing eras answer differently; routing itself is one. */
interface EraRules {
  /** Methods besides the lists and tools/call the aggregate serves. */
  readonly methods: ReadonlySet<string>;
  listParams(params: Params | undefined, upstreamCursor: string | undefined): Params | undefined;
  unknownPrompt(raw: string, server: string | undefined): GatewayError;
  unknownResource(raw: string, server: string | undefined): GatewayError;
  unknownReference(server: string | undefined): GatewayError;
  /** Whether a completion reference of this `type` names a resource (else a prompt, or nothing). */
  referenceByUri(type: unknown): boolean | undefined;
  methodNotFound(method: string): GatewayError;
}

const invalidParams = (message: string, data?: unknown) => new GatewayError('invalid_params', { message, ...(data === undefined ? {} : { data }) });
const unknownServer = (server: string) => invalidParams(`Unknown server: ${server}`);

const ERA_RULES: Record<ClientEra, EraRules> = {
  '2025-11-25': {
    methods: new Set(['prompts/get', 'resources/read', 'resources/subscribe', 'resources/unsubscribe', 'completion/complete', 'logging/setLevel']),
    listParams: (_params, cursor) => (cursor ? { cursor } : undefined),
    unknownPrompt: (raw, server) => (server === undefined ? invalidParams(`Unknown prompt: ${raw}`) : unknownServer(server)),
    unknownResource: (raw, server) => (server === undefined ? new GatewayError('resource_not_found', { data: { uri: raw } }) : unknownServer(server)),
    unknownReference: (server) => (server === undefined ? invalidParams('Unknown completion reference') : unknownServer(server)),
    referenceByUri: (type) => type !== 'ref/prompt',
    methodNotFound: (method) => new GatewayError('method_not_found', { message: `Method not found: ${method}` }),
  },
  '2026-07-28': {
    methods: new Set(['prompts/get', 'resources/read', 'completion/complete']),
    listParams: (params, cursor) => {
      const { cursor: _cursor, ...rest } = params ?? {};
      return cursor ? { ...rest, cursor } : rest;
    },
    unknownPrompt: (raw) => invalidParams(`Unknown prompt: ${raw}`),
    // 2026-07-28 has no -32002: an unknown resource is invalid params there.
    unknownResource: (raw) => invalidParams('Resource not found', { uri: raw }),
    unknownReference: () => invalidParams('Unknown completion reference'),
    referenceByUri: (type) => (type === 'ref/prompt' ? false : type === 'ref/resource' ? true : undefined),
    methodNotFound: (method) => new GatewayError('method_not_found', { message: `Method not found on the aggregated endpoint: ${method}` }),
  },
};

const CAPABILITY_OF: Record<string, string> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resources',
};

/**
 * `ready` (an observer loading its state), then `before` (a veto refuses the call); both refusals observed.
 * Synchronous (undefined) when no observer is loading anything: no promise on the common path.
 */
function decide(observers: ToolCallObservers, call: ToolCallContext): Promise<void> | undefined {
  const loading = observers.ready(call);
  if (loading) {
    return loading.then(
      () => vetoCheck(observers, call),
      (error: unknown) => {
        // An observer could not load what it decides with (the call policy): the call is refused, not let through.
        observers.after(call, { kind: 'refused', reason: 'dependency_unavailable', latencyMs: Date.now() - call.startedAt });
        throw new GatewayError('dependency_unavailable', { cause: error, detail: 'a tool-call observer could not load its state' });
      },
    );
  }
  vetoCheck(observers, call);
  return undefined;
}

function vetoCheck(observers: ToolCallObservers, call: ToolCallContext): void {
  const veto = observers.before(call);
  if (veto) {
    observers.after(call, { kind: 'refused', reason: veto.reason, latencyMs: Date.now() - call.startedAt, ...(veto.details ? { details: veto.details } : {}) });
    throw new GatewayError('tool_call_refused', { ...(veto.message === undefined ? {} : { message: veto.message }), ...(veto.data === undefined ? {} : { data: veto.data }) });
  }
}

/**
 * One tools/call between the observers: `admit` may refuse it (observed as refused, never `before`), then
 * `before` (a veto refuses it: GatewayError `tool_call_refused`, `after` sees `refused` with the veto's
 * reason), the call, and `after` with the outcome (`outcome` may return undefined for a run that reports
 * its own `after`, such as a byte-for-byte relay). Every path a tools/call takes goes through here.
 */
export async function observedToolCall<T>(
  observers: ToolCallObservers,
  call: ToolCallContext,
  admit: () => Promise<void>,
  run: () => Promise<T>,
  outcome: (answer: T) => ToolCallOutcome | undefined,
): Promise<T> {
  try {
    await admit();
  } catch (error) {
    observers.after(call, refusalOutcome(error, call.startedAt));
    throw error;
  }
  // The policy decision (call policy, pinning, observers' vetoes) as a span of its own when traced.
  const span = startSpan('airlock.policy.decide', SpanKind.INTERNAL);
  try {
    const deciding = decide(observers, call);
    if (deciding) await deciding;
  } catch (error) {
    if (span) endSpan(span, error);
    throw error;
  }
  span?.end();
  let answer: T;
  try {
    answer = await run();
  } catch (error) {
    observers.after(call, failureOutcome(error, call.startedAt));
    throw error;
  }
  const ended = outcome(answer);
  if (ended) observers.after(call, ended);
  return answer;
}

/**
 * The aggregate (`/t/<tenant>/mcp`) and the tools/call of every endpoint, for one client-facing era.
 * Names are `<server>__<name>` (tools, prompts) and `<server>+<uri>` (resources); lists hold every
 * upstream's items up to `listMaxItems` a page (aggregated-list.ts).
 */
export class AggregateRouter<C> {
  private readonly rules: EraRules;

  constructor(
    readonly era: ClientEra,
    private readonly upstreams: RouterUpstreams<C>,
    private readonly observers: ToolCallObservers,
    private readonly listMaxItems: number,
  ) {
    this.rules = ERA_RULES[era];
  }

  /** Whether the aggregate serves `method` (lists, tools/call and the era's routed methods). */
  serves(method: string): boolean {
    return method === 'tools/call' || AGGREGATED_LISTS[method] !== undefined || this.rules.methods.has(method);
  }

  /** A request on the aggregated endpoint; throws a GatewayError for what it cannot route. */
  async route(context: C, method: string, params: Params | undefined, open: (server: string, tool: string, args?: unknown) => ToolCallContext): Promise<Params> {
    if (method === 'tools/call') return this.callTool(context, undefined, params, open);
    const list = AGGREGATED_LISTS[method];
    if (list) return this.list(context, method, params);
    if (!this.rules.methods.has(method)) throw this.rules.methodNotFound(method);
    const { upstreams, rules } = this;
    switch (method) {
      case 'prompts/get': {
        const raw = String(params?.['name'] ?? '');
        const target = splitName(raw);
        if (!target || !upstreams.has(context, target.server)) throw rules.unknownPrompt(raw, target?.server);
        return upstreams.send(context, target.server, method, { ...params, name: target.name }, { name: target.name, related: true });
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const raw = String(params?.['uri'] ?? '');
        const target = splitUri(raw);
        if (!target || !upstreams.has(context, target.server)) throw rules.unknownResource(raw, target?.server);
        const result = await upstreams.send(context, target.server, method, { ...params, uri: target.uri }, { name: target.uri });
        if (method !== 'resources/read' || !Array.isArray(result['contents'])) return result;
        const contents = (result['contents'] as unknown[]).map((item) =>
          typeof item === 'object' && item !== null && typeof (item as Params)['uri'] === 'string' ? { ...(item as Params), uri: namespacedUri(target.server, (item as Params)['uri'] as string) } : item,
        );
        return { ...result, contents };
      }
      case 'completion/complete': {
        const ref = (params?.['ref'] ?? {}) as Params;
        const byUri = rules.referenceByUri(ref['type']);
        const target = byUri === undefined ? undefined : byUri ? splitUri(String(ref['uri'] ?? '')) : splitName(String(ref['name'] ?? ''));
        if (!target || !upstreams.has(context, target.server)) throw rules.unknownReference(target?.server);
        const inner = 'uri' in target ? { ...ref, uri: target.uri } : { ...ref, name: target.name };
        return upstreams.send(context, target.server, method, { ...params, ref: inner }, {});
      }
      case 'logging/setLevel': {
        const servers = upstreams.servers(context).filter((server) => upstreams.offers(context, server, 'logging'));
        await Promise.all(servers.map((server) => upstreams.send(context, server, method, params, {})));
        return {};
      }
    }
    throw rules.methodNotFound(method);
  }

  /**
   * A tools/call on either endpoint (`endpointServer`: the per-server endpoint's upstream), observed exactly
   * once: refused here (a name no upstream of the endpoint has, a name the upstream did not list), or
   * run upstream between `before` and `after`.
   */
  callTool(context: C, endpointServer: string | undefined, params: Params | undefined, open: (server: string, tool: string, args?: unknown) => ToolCallContext): Promise<Params> {
    const shown = String(params?.['name'] ?? '');
    const target = toolTarget(endpointServer, shown);
    const call = open(target.server, target.tool, params?.['arguments']);
    const { upstreams } = this;
    return observedToolCall(
      this.observers,
      call,
      async () => {
        // A name that designates no upstream of the endpoint is an unknown tool, in both eras.
        if (!target.server || !upstreams.has(context, target.server)) throw unknownToolError(shown);
        const hash = await this.admitTool(context, target.server, target.tool, shown);
        if (hash !== undefined) call.toolHash = hash;
      },
      () =>
        upstreams.send(context, target.server, 'tools/call', endpointServer !== undefined ? params : { ...params, name: target.tool }, {
          name: target.tool,
          related: true,
          progress: true,
        }),
      (result) => resultOutcome(result, call.startedAt),
    );
  }

  /**
   * Throws unknown_tool for a tool an admin disabled (exactly what a name the upstream does not have gets),
   * then requires the upstream to list it, then refuses a withheld definition. Answers the version hash of
   * the tool the call reaches (its audit record carries it), when the tool is pinned. Also the admission
   * of a tools/call an adapter relays itself.
   */
  async admitTool(context: C, server: string, tool: string, shown: string): Promise<string | undefined> {
    if ((await this.upstreams.disabledTools(context, server)).has(tool)) throw unknownToolError(shown);
    try {
      await this.upstreams.requireTool(context, server, tool, shown);
    } catch (error) {
      // Connected accounts: an upstream the user has not connected cannot list its tools yet; nothing goes
      // upstream without the account, and the call itself answers with where to connect it.
      if (!(error instanceof GatewayError && (error.code === 'account_not_connected' || error.code === 'url_elicitation_required'))) throw error;
      return;
    }
    // After the list check: reading the list is what can reveal a changed definition.
    const version = await this.upstreams.toolVersion?.(context, server, tool);
    if (version?.withheld) throw toolWithheldError(shown, version.hash);
    return version?.hash;
  }

  /** A tools/list result of one upstream without the tools an admin disabled nor those withheld by pinning (the per-server endpoints' lists). */
  async visibleTools(context: C, server: string, result: Params): Promise<Params> {
    const visible = withoutDisabledTools(result, await this.upstreams.disabledTools(context, server));
    if (!this.upstreams.gateTools || !Array.isArray(visible['tools'])) return visible;
    return { ...visible, tools: await this.upstreams.gateTools(context, server, visible['tools'] as Params[]) };
  }

  private async list(context: C, method: string, params: Params | undefined): Promise<Params> {
    const list = AGGREGATED_LISTS[method]!;
    const { upstreams, rules } = this;
    const capability = CAPABILITY_OF[method]!;
    const servers = upstreams.servers(context).filter((server) => upstreams.offers(context, server, capability));
    const page = await aggregateList(list, servers, params?.['cursor'], this.listMaxItems, async (server, upstreamCursor) => {
      try {
        const answer = upstreamPage(list, await upstreams.send(context, server, method, rules.listParams(params, upstreamCursor), { list: true }));
        if (method !== 'tools/list') return answer;
        upstreams.toolsListed?.(context, server, answer.items);
        const disabled = await upstreams.disabledTools(context, server);
        const enabled = disabled.size === 0 ? answer.items : answer.items.filter((tool) => !disabled.has(String(tool['name'])));
        return { ...answer, items: upstreams.gateTools ? await upstreams.gateTools(context, server, enabled) : enabled };
      } catch (error) {
        // One upstream failing its list hides only its own items.
        upstreams.listFailed(context, server, error);
        return undefined;
      }
    });
    if (page === 'invalid-cursor') throw invalidParams('Invalid cursor');
    return { [list.field]: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }
}
