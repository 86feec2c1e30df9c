import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCodes, honoredFilter, listenFilterAccepts } from '@airlock/mcp-protocol';
import type { SubscriptionFilter } from '@airlock/mcp-protocol';
import type { Logger } from '@airlock/observability';
import type { UpstreamServerRecord } from '../../tenants/tenant-catalog.js';
import { openUpstreamSecrets } from '../upstream-credentials.js';
import type { UpstreamCredentials } from '../upstream-credentials.js';
import type { UpstreamEgress } from '../upstream-egress.js';
import type { StdioLauncher } from '../stdio-launcher.js';
import { UpstreamLink } from '../upstream-link.js';
import { HeldSink } from '../../streams/subscriptions-stream.js';
import type { ListenSource } from '../../streams/subscriptions-stream.js';

export interface Listen2025Deps {
  credentials: UpstreamCredentials;
  egress: UpstreamEgress;
  masterKey: Buffer;
  logger: Logger;
  stdio: StdioLauncher;
}

export interface Listen2025Options {
  server: UpstreamServerRecord;
  filter: SubscriptionFilter;
  tenant: string;
  bearer: string;
  clientInfo: { name: string; version: string } | undefined;
}

/**
 * `subscriptions/listen` of a 2026-07-28 client on a 2025-11-25 upstream. The listen stream holds an
 * upstream session of its own for its whole life: list changes arrive on that session (its GET stream,
 * or the stdio pipe), each URI of `resourceSubscriptions` becomes a `resources/subscribe` on it, and only
 * what the client asked for and the upstream's capabilities announce goes on. Closing the source ends
 * the upstream session (DELETE). Limitation: a 2025 server that announces changes only to the session
 * that caused them (per-session state) is not heard here.
 */
export async function openListenVia2025Session(deps: Listen2025Deps, options: Listen2025Options): Promise<ListenSource> {
  const { server } = options;
  const held = new HeldSink();
  let honored: SubscriptionFilter = {};
  let closing = false;
  let settle!: (how: 'graceful' | 'remote') => void;
  const ended = new Promise<'graceful' | 'remote'>((resolve) => (settle = resolve));
  const link = await UpstreamLink.connect({
    server,
    secrets: openUpstreamSecrets(deps.masterKey, server),
    credentials: deps.credentials,
    egress: deps.egress,
    caller: { tenant: options.tenant, bearer: () => options.bearer },
    stdio: deps.stdio,
    // A listen stream can carry no requests to the client: the upstream is told it may not ask any.
    clientCapabilities: {},
    clientInfo: options.clientInfo ?? { name: 'airlock-gateway', version: '0' },
    logger: deps.logger,
    handlers: {
      onRequest: (method) => Promise.reject(new McpError(ErrorCodes.methodNotFound, `${method} cannot reach a listening client`)),
      onNotification: (method, params) => {
        if (listenFilterAccepts(honored, method, params)) held.deliver(method, params);
      },
      onStreamPaused: () => undefined,
      onClose: () => {
        if (!closing) settle('remote');
      },
    },
  });
  const wanted = honoredFilter(options.filter, link.capabilities());
  const uris = wanted.resourceSubscriptions ?? [];
  const subscribed: string[] = [];
  for (const uri of uris) {
    try {
      await link.request('resources/subscribe', { uri });
      subscribed.push(uri);
    } catch (error) {
      deps.logger.warn({ err: error, server: server.name }, 'a 2025 upstream refused resources/subscribe for a listen stream');
    }
  }
  const { resourceSubscriptions: _requested, ...flags } = wanted;
  honored = subscribed.length > 0 ? { ...flags, resourceSubscriptions: subscribed } : flags;
  return {
    honored,
    ended,
    start: (sink) => held.start(sink),
    close: async () => {
      closing = true;
      await link.close();
    },
  };
}
