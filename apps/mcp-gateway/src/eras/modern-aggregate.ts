import { ErrorCodes, MetaKeys, SUPPORTED_PROTOCOL_VERSIONS, modernResultFromLegacy } from '@airlock/mcp-protocol';
import type { ModernRequest } from '@airlock/mcp-protocol';
import type { UpstreamServerRecord } from '../tenants/tenant-directory.js';
import { aggregatable, decodeCursor, encodeCursor, namespacedName, namespacedUri, splitName, splitUri } from '../upstream/namespacing.js';
import type { BridgeAnswer } from './legacy-upstream-bridge.js';

/** One request to one upstream, whatever its era, answered as one JSON-RPC result or error. */
export type AskUpstream = (server: UpstreamServerRecord, request: ModernRequest) => Promise<BridgeAnswer>;

const LISTS: Record<string, { key: string; rename: (server: string, item: Record<string, unknown>) => Record<string, unknown> }> = {
  'tools/list': { key: 'tools', rename: (server, item) => ({ ...item, name: namespacedName(server, String(item['name'])) }) },
  'prompts/list': { key: 'prompts', rename: (server, item) => ({ ...item, name: namespacedName(server, String(item['name'])) }) },
  'resources/list': { key: 'resources', rename: (server, item) => ({ ...item, uri: namespacedUri(server, String(item['uri'])) }) },
  'resources/templates/list': { key: 'resourceTemplates', rename: (server, item) => ({ ...item, uriTemplate: namespacedUri(server, String(item['uriTemplate'])) }) },
};

const invalid = (message: string): BridgeAnswer => ({ status: 200, error: { code: ErrorCodes.invalidParams, message } });
const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : []);

/**
 * The 2026-07-28 side of the aggregated endpoint `/t/<tenant>/mcp`: the same namespacing as the 2025 path
 * (`<server>__<name>`, `<server>+<uri>`), each request routed to one upstream through the per-server
 * machinery (`ask`). Lists are paged one upstream at a time: the opaque cursor names the upstream and its
 * own cursor; an upstream that fails its list contributes an empty page rather than hiding the others.
 */
export async function serveAggregated(allServers: UpstreamServerRecord[], request: ModernRequest, ask: AskUpstream, onListFailure: (server: string) => void): Promise<BridgeAnswer> {
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

  const list = LISTS[request.method];
  if (list) {
    let index = 0;
    let upstreamCursor: string | undefined;
    if (typeof params['cursor'] === 'string') {
      const decoded = decodeCursor(params['cursor']);
      if (!decoded || decoded.serverIndex >= servers.length) return invalid('Invalid cursor');
      index = decoded.serverIndex;
      upstreamCursor = decoded.upstreamCursor;
    }
    const server = servers[index];
    if (!server) return { status: 200, result: modernResultFromLegacy(request.method, { [list.key]: [] }) };
    const { cursor: _cursor, ...rest } = params;
    const answer = await ask(server, { ...request, params: upstreamCursor ? { ...rest, cursor: upstreamCursor } : rest }).catch(() => undefined);
    const result = answer && 'result' in answer ? answer.result : undefined;
    if (!result) onListFailure(server.name);
    const items = records(result?.[list.key]).map((item) => list.rename(server.name, item));
    const next =
      typeof result?.['nextCursor'] === 'string' ? encodeCursor(index, result['nextCursor']) : index + 1 < servers.length ? encodeCursor(index + 1, undefined) : undefined;
    return { status: 200, result: modernResultFromLegacy(request.method, { [list.key]: items, ...(next ? { nextCursor: next } : {}) }) };
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
    if (!target || !server) return { status: 200, error: { code: ErrorCodes.invalidParams, message: 'Resource not found', data: { uri: raw } } };
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
  return { status: 200, error: { code: ErrorCodes.methodNotFound, message: `Method not found on the aggregated endpoint: ${request.method}` } };
}
