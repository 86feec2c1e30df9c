import { MetaKeys, SUPPORTED_PROTOCOL_VERSIONS, modernResultFromLegacy } from '@airlock/mcp-protocol';
import type { ModernRequest } from '@airlock/mcp-protocol';
import type { UpstreamServerRecord } from '../tenants/tenant-directory.js';
import { aggregatable, namespacedUri, splitName, splitUri } from '../upstream/namespacing.js';
import { AGGREGATED_LISTS, aggregateList, upstreamPage } from '../upstream/aggregated-list.js';
import type { BridgeAnswer } from './legacy-upstream-bridge.js';
import { GatewayError } from '../errors/gateway-error.js';
import { errorAnswer } from '../errors/error-response.js';

/** One request to one upstream, whatever its era, answered as one JSON-RPC result or error. */
export type AskUpstream = (server: UpstreamServerRecord, request: ModernRequest) => Promise<BridgeAnswer>;

const invalid = (message: string): BridgeAnswer => errorAnswer(new GatewayError('invalid_params', { message }));
const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : []);

/**
 * The 2026-07-28 side of the aggregated endpoint `/t/<tenant>/mcp`: the same namespacing as the 2025 path
 * (`<server>__<name>`, `<server>+<uri>`), each request routed to one upstream through the per-server
 * machinery (`ask`). Lists hold every upstream's items up to `listMaxItems` a page (aggregated-list.ts);
 * an upstream that fails its list contributes nothing rather than hiding the others.
 */
export async function serveAggregated(
  allServers: UpstreamServerRecord[],
  request: ModernRequest,
  ask: AskUpstream,
  onListFailure: (server: string) => void,
  listMaxItems: number,
): Promise<BridgeAnswer> {
  const servers = allServers.filter((server) => aggregatable(server.name));
  const byName = (name: string) => servers.find((server) => server.name === name);
  const params = request.params;

  if (request.method === 'server/discover') {
    const capabilities: Record<string, Record<string, boolean>> = {};
    const answers = await Promise.all(servers.map((server) => ask(server, request).catch(() => undefined)));
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

  const list = AGGREGATED_LISTS[request.method];
  if (list) {
    const { cursor, ...rest } = params;
    const page = await aggregateList(list, servers.map((server) => server.name), cursor, listMaxItems, async (name, upstreamCursor) => {
      const server = byName(name)!;
      const answer = await ask(server, { ...request, params: upstreamCursor ? { ...rest, cursor: upstreamCursor } : rest }).catch(() => undefined);
      if (answer && 'result' in answer) return upstreamPage(list, answer.result);
      onListFailure(name);
      return undefined;
    });
    if (page === 'invalid-cursor') return invalid('Invalid cursor');
    return { status: 200, result: modernResultFromLegacy(request.method, { [list.field]: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }) };
  }

  if (request.method === 'tools/call' || request.method === 'prompts/get') {
    const raw = String(params['name'] ?? '');
    const target = splitName(raw);
    const server = target && byName(target.server);
    if (!target || !server) return invalid(`Unknown ${request.method === 'tools/call' ? 'tool' : 'prompt'}: ${raw}`);
    return ask(server, { ...request, name: target.name, params: { ...params, name: target.name } });
  }

  if (request.method === 'resources/read') {
    const raw = String(params['uri'] ?? '');
    const target = splitUri(raw);
    const server = target && byName(target.server);
    // 2026-07-28 has no -32002: an unknown resource is invalid params there.
    if (!target || !server) return errorAnswer(new GatewayError('invalid_params', { message: 'Resource not found', data: { uri: raw } }));
    const answer = await ask(server, { ...request, name: target.uri, params: { ...params, uri: target.uri } });
    if (!('result' in answer) || !Array.isArray(answer.result['contents'])) return answer;
    const contents = records(answer.result['contents']).map((item) => (typeof item['uri'] === 'string' ? { ...item, uri: namespacedUri(server.name, item['uri']) } : item));
    return { status: answer.status, result: { ...answer.result, contents } };
  }

  if (request.method === 'completion/complete') {
    const ref = (params['ref'] ?? {}) as Record<string, unknown>;
    const byPrompt = ref['type'] === 'ref/prompt' ? splitName(String(ref['name'] ?? '')) : undefined;
    const byUri = ref['type'] === 'ref/resource' ? splitUri(String(ref['uri'] ?? '')) : undefined;
    const server = byPrompt ? byName(byPrompt.server) : byUri ? byName(byUri.server) : undefined;
    if (!server) return invalid('Unknown completion reference');
    const inner = byPrompt ? { ...ref, name: byPrompt.name } : { ...ref, uri: byUri!.uri };
    return ask(server, { ...request, params: { ...params, ref: inner } });
  }

  // subscriptions/listen never gets here: the endpoint serves it as a stream (subscriptions-aggregate.ts).
  return errorAnswer(new GatewayError('method_not_found', { message: `Method not found on the aggregated endpoint: ${request.method}` }));
}
