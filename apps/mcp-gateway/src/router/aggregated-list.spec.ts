import { describe, expect, it } from 'vitest';
import { AGGREGATED_LISTS, aggregateList, decodeAggregatedCursor, encodeAggregatedCursor } from './aggregated-list.js';
import type { UpstreamListPage } from './aggregated-list.js';

const tools = AGGREGATED_LISTS['tools/list']!;

/** Upstreams whose tools come in pages of `pageSize`, named `<server>-<n>`. */
function upstreams(sizes: Record<string, number>, pageSize: number): UpstreamListPage {
  return async (server, cursor) => {
    const all = Array.from({ length: sizes[server] ?? 0 }, (_, index) => ({ name: `${server}-${index}` }));
    const start = cursor === undefined ? 0 : Number(cursor);
    const end = start + pageSize;
    return { items: all.slice(start, end), nextCursor: end < all.length ? String(end) : undefined };
  };
}

async function walk(maxItems: number, page: UpstreamListPage, servers: string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const answer = await aggregateList(tools, servers, cursor, maxItems, page);
    if (answer === 'invalid-cursor') throw new Error('invalid cursor');
    pages.push(answer.items.map((item) => String(item['name'])));
    cursor = answer.nextCursor;
  } while (cursor !== undefined);
  return pages;
}

describe('aggregated lists', () => {
  it('one page holds every upstream (servers by name, each upstream paged through) under the cap', async () => {
    const pages = await walk(100, upstreams({ b: 3, a: 2 }, 2), ['b', 'a']);
    expect(pages).toEqual([['a__a-0', 'a__a-1', 'b__b-0', 'b__b-1', 'b__b-2']]);
  });

  it('past the cap it paginates in the same order, cutting inside an upstream page when it must', async () => {
    const pages = await walk(2, upstreams({ a: 3, b: 2 }, 5), ['a', 'b']);
    expect(pages).toEqual([['a__a-0', 'a__a-1'], ['a__a-2', 'b__b-0'], ['b__b-1']]);
  });

  it('an upstream that fails contributes nothing; tampered cursors are refused', async () => {
    const page: UpstreamListPage = async (server, cursor) => (server === 'a' ? undefined : upstreams({ b: 1 }, 5)(server, cursor));
    expect(await walk(10, page, ['a', 'b'])).toEqual([['b__b-0']]);
    expect(await aggregateList(tools, ['a'], 'not-a-cursor', 10, page)).toBe('invalid-cursor');
    expect(await aggregateList(tools, ['a'], encodeAggregatedCursor({ server: 3, cursor: undefined, skip: 0 }), 10, page)).toBe('invalid-cursor');
    expect(decodeAggregatedCursor(Buffer.from('{"s":-1,"c":null,"k":0}').toString('base64url'))).toBeUndefined();
  });
});
