import { namespacedName, namespacedUri } from './namespacing.js';

// The aggregated endpoint's lists (tools, prompts, resources, resource templates), for both protocol
// eras: every upstream's items in one page up to `maxItems`, paginated only past that. Order is stable:
// upstreams by name, each upstream's items in its own order (its pages walked in turn).

type Item = Record<string, unknown>;

/** What `aggregateListMaxItems` defaults to where no tuning is given. */
export const DEFAULT_AGGREGATE_LIST_MAX_ITEMS = 1_000;

export interface AggregatedListKind {
  method: string;
  /** The member of the result that holds the items. */
  field: string;
  rename: (server: string, item: Item) => Item;
}

export const AGGREGATED_LISTS: Readonly<Record<string, AggregatedListKind>> = {
  'tools/list': { method: 'tools/list', field: 'tools', rename: (server, item) => ({ ...item, name: namespacedName(server, String(item['name'])) }) },
  'prompts/list': { method: 'prompts/list', field: 'prompts', rename: (server, item) => ({ ...item, name: namespacedName(server, String(item['name'])) }) },
  'resources/list': { method: 'resources/list', field: 'resources', rename: (server, item) => ({ ...item, uri: namespacedUri(server, String(item['uri'])) }) },
  'resources/templates/list': { method: 'resources/templates/list', field: 'resourceTemplates', rename: (server, item) => ({ ...item, uriTemplate: namespacedUri(server, String(item['uriTemplate'])) }) },
};

/** One page of one upstream's list; undefined when the upstream failed it (it then contributes nothing). */
export type UpstreamListPage = (server: string, cursor: string | undefined) => Promise<{ items: Item[]; nextCursor: string | undefined } | undefined>;

/** Where the next aggregated page starts: the upstream (by position in name order), its cursor, and items of that upstream page already served. */
interface Position {
  server: number;
  cursor: string | undefined;
  skip: number;
}

export function encodeAggregatedCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ s: position.server, c: position.cursor ?? null, k: position.skip }), 'utf8').toString('base64url');
}

export function decodeAggregatedCursor(cursor: string): Position | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; c?: unknown; k?: unknown };
    const count = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
    if (!count(parsed.s) || !count(parsed.k)) return undefined;
    if (parsed.c !== null && typeof parsed.c !== 'string') return undefined;
    return { server: parsed.s as number, cursor: parsed.c ?? undefined, skip: parsed.k as number };
  } catch {
    return undefined;
  }
}

/** The aggregated page, or 'invalid-cursor' for a cursor this list never handed out. */
export async function aggregateList(
  kind: AggregatedListKind,
  serverNames: readonly string[],
  cursor: unknown,
  maxItems: number,
  page: UpstreamListPage,
): Promise<{ items: Item[]; nextCursor?: string } | 'invalid-cursor'> {
  const servers = [...serverNames].sort();
  let at: Position = { server: 0, cursor: undefined, skip: 0 };
  if (cursor !== undefined) {
    const decoded = typeof cursor === 'string' ? decodeAggregatedCursor(cursor) : undefined;
    if (!decoded || decoded.server >= servers.length) return 'invalid-cursor';
    at = decoded;
  }
  const items: Item[] = [];
  while (at.server < servers.length && items.length < maxItems) {
    const server = servers[at.server]!;
    const answer = await page(server, at.cursor);
    const fresh = (answer?.items ?? []).slice(at.skip);
    const room = maxItems - items.length;
    if (fresh.length > room) {
      // The cap falls inside this upstream page: the cursor asks for the same page again, past what was served.
      for (const item of fresh.slice(0, room)) items.push(kind.rename(server, item));
      return { items, nextCursor: encodeAggregatedCursor({ ...at, skip: at.skip + room }) };
    }
    for (const item of fresh) items.push(kind.rename(server, item));
    at = answer?.nextCursor !== undefined ? { server: at.server, cursor: answer.nextCursor, skip: 0 } : { server: at.server + 1, cursor: undefined, skip: 0 };
  }
  return at.server < servers.length ? { items, nextCursor: encodeAggregatedCursor(at) } : { items };
}

/** The items and next cursor of an upstream's list result. */
export function upstreamPage(kind: AggregatedListKind, result: Record<string, unknown>): { items: Item[]; nextCursor: string | undefined } {
  const raw = result[kind.field];
  const items = Array.isArray(raw) ? raw.filter((item): item is Item => typeof item === 'object' && item !== null) : [];
  return { items, nextCursor: typeof result['nextCursor'] === 'string' ? result['nextCursor'] : undefined };
}
