import { McpHeaders, listenFilterAccepts, parseListenFilter, withoutSubscriptionId } from '@airlock/mcp-protocol';
import type { JsonRpcId, SubscriptionFilter } from '@airlock/mcp-protocol';
import type { UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import { HeldSink, readSseMessages } from '../../streams/subscriptions-stream.js';
import type { ListenSource } from '../../streams/subscriptions-stream.js';

export interface Listen2026Options {
  server: UpstreamServerRecord;
  filter: SubscriptionFilter;
  id: JsonRpcId;
  protocolVersion: string;
  /** The client's `_meta` envelope, passed on as is. */
  meta: Record<string, unknown>;
  /** The gateway's credentials for this upstream (never the user's token). */
  credentialHeaders: Record<string, string>;
  fetchImpl: typeof fetch;
}

type Message = { id?: unknown; method?: unknown; params?: Record<string, unknown>; result?: unknown; error?: unknown };

/**
 * A `subscriptions/listen` stream opened on a 2026-07-28 upstream for the aggregated endpoint: resolves
 * once the upstream acknowledged (its honoured filter is the source's), then relays what the upstream
 * sends, without its subscription id (the client's stream stamps its own). Throws when the upstream
 * answers anything but a listen stream.
 */
export async function openListen2026(options: Listen2026Options): Promise<ListenSource> {
  const { server } = options;
  const controller = new AbortController();
  const held = new HeldSink();
  let closing = false;
  const response = await options.fetchImpl(server.url!, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      [McpHeaders.protocolVersion]: options.protocolVersion,
      [McpHeaders.method]: 'subscriptions/listen',
      ...options.credentialHeaders,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: options.id, method: 'subscriptions/listen', params: { _meta: options.meta, notifications: options.filter } }),
    signal: controller.signal,
  });
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('text/event-stream') || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`upstream ${server.name} answered subscriptions/listen with HTTP ${response.status}`);
  }
  let acknowledged!: (filter: SubscriptionFilter | undefined) => void;
  const ack = new Promise<SubscriptionFilter | undefined>((resolve) => (acknowledged = resolve));
  let honored: SubscriptionFilter | undefined;
  let graceful = false;
  const reading = readSseMessages(response.body, (raw) => {
    const message = raw as Message;
    if (message.id !== undefined) {
      graceful = 'result' in message;
      acknowledged(undefined);
      return;
    }
    if (typeof message.method !== 'string') return;
    if (honored === undefined) {
      if (message.method !== 'notifications/subscriptions/acknowledged') return;
      const parsed = parseListenFilter(message.params ?? {});
      honored = parsed.ok ? parsed.filter : {};
      acknowledged(honored);
      return;
    }
    // The upstream MUST NOT send more than was asked for; the gateway does not rely on it.
    if (listenFilterAccepts(honored, message.method, message.params)) held.deliver(message.method, withoutSubscriptionId(message.params));
  });
  const ended = reading.then(
    () => (graceful ? ('graceful' as const) : ('remote' as const)),
    () => 'remote' as const,
  );
  void ended.then(() => acknowledged(undefined));
  const filter = await ack;
  if (filter === undefined) {
    controller.abort();
    throw new Error(`upstream ${server.name} ended subscriptions/listen before acknowledging it`);
  }
  return {
    honored: filter,
    // A stream the gateway closed itself is not an upstream ending.
    ended: ended.then((how) => (closing ? new Promise<never>(() => undefined) : how)),
    start: (sink) => held.start(sink),
    close: async () => {
      closing = true;
      controller.abort();
      await reading.catch(() => undefined);
    },
  };
}
