import { isEmptyFilter } from '@airlock/mcp-protocol';
import type { SubscriptionFilter } from '@airlock/mcp-protocol';
import type { Logger } from '@airlock/observability';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { aggregatable, namespacedUri, splitUri } from './namespacing.js';
import { HeldSink } from '../streams/subscriptions-stream.js';
import type { ListenSource } from '../streams/subscriptions-stream.js';

const ACK_TIMEOUT_MS = 10_000;

/** Opens one upstream's side of a listen stream (2026: its own listen stream; 2025: a session). */
export type OpenUpstreamListen = (server: UpstreamServerRecord, filter: SubscriptionFilter) => Promise<ListenSource>;

/** The client's filter as one upstream sees it: list flags as they are, only its own resources, without the namespace. */
function upstreamFilter(filter: SubscriptionFilter, server: string): SubscriptionFilter {
  const { resourceSubscriptions, ...flags } = filter;
  const own = (resourceSubscriptions ?? []).flatMap((uri) => {
    const split = splitUri(uri);
    return split && split.server === server ? [split.uri] : [];
  });
  return own.length > 0 ? { ...flags, resourceSubscriptions: own } : flags;
}

/**
 * `subscriptions/listen` on the aggregated endpoint: one stream to the client fanning in every
 * aggregatable upstream's notifications, resource URIs namespaced `<server>+<uri>` as everywhere on
 * this endpoint (list-changed notifications name nothing). The honoured filter is the union of what
 * the upstreams honoured. An upstream that cannot listen or stops is logged and the others go on; the
 * stream ends by itself only when none is left.
 */
export async function openAggregatedListen(servers: UpstreamServerRecord[], filter: SubscriptionFilter, open: OpenUpstreamListen, logger: Logger): Promise<ListenSource> {
  const targets = servers.filter((server) => aggregatable(server.name)).map((server) => ({ server, filter: upstreamFilter(filter, server.name) }));
  const wanted = targets.filter((target) => !isEmptyFilter(target.filter));
  const opened = await Promise.all(
    wanted.map(async ({ server, filter: own }) => {
      const opening = open(server, own);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ACK_TIMEOUT_MS} ms`)), ACK_TIMEOUT_MS);
      });
      try {
        return { server, source: await Promise.race([opening, late]) };
      } catch (error) {
        // One slow upstream does not hold the client's acknowledgement back; if it answers later, it is closed.
        void opening.then((source) => source.close()).catch(() => undefined);
        logger.warn({ err: error, server: server.name }, 'an upstream could not listen on the aggregated endpoint');
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const live = opened.filter((entry): entry is { server: UpstreamServerRecord; source: ListenSource } => entry !== undefined);
  const honored: SubscriptionFilter = {};
  const uris: string[] = [];
  for (const { server, source } of live) {
    for (const key of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) if (source.honored[key] === true) honored[key] = true;
    for (const uri of source.honored.resourceSubscriptions ?? []) uris.push(namespacedUri(server.name, uri));
  }
  if (uris.length > 0) honored.resourceSubscriptions = uris;

  const held = new HeldSink();
  let closing = false;
  let remaining = live.length;
  let settle!: (how: 'remote') => void;
  const ended = new Promise<'graceful' | 'remote'>((resolve) => (settle = resolve));
  for (const { server, source } of live) {
    source.start((method, params) => {
      const uri = params?.['uri'];
      held.deliver(method, method === 'notifications/resources/updated' && typeof uri === 'string' ? { ...params, uri: namespacedUri(server.name, uri) } : params);
    });
    void source.ended.then((how) => {
      logger.warn({ server: server.name, how }, 'an upstream ended its side of an aggregated listen stream');
      if (--remaining === 0 && !closing) settle('remote');
    });
  }
  return {
    honored,
    ended,
    start: (sink) => held.start(sink),
    close: async () => {
      closing = true;
      await Promise.all(live.map(({ source }) => source.close().catch(() => undefined)));
    },
  };
}
