import { describe, expect, it } from 'vitest';
import { jsonRpcErrorOf } from '../errors/error-response.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { ToolNameCache, UpstreamToolList } from './upstream-tool-list.js';

// What the client sees of a refusal: the JSON-RPC error the gateway's mapper makes of it.
const seen = (pending: Promise<unknown>) => pending.then(() => undefined, (error: GatewayError) => jsonRpcErrorOf(error));

describe('UpstreamToolList', () => {
  it('lets through only exactly listed names (all pages), reads the list once until invalidated', async () => {
    let reads = 0;
    let names = ['secret_op', 'echo', 'other'];
    const list = new UpstreamToolList(async (cursor) => {
      reads += 1;
      const start = cursor === undefined ? 0 : Number(cursor);
      return { tools: names.slice(start, start + 2).map((name) => ({ name })), ...(start + 2 < names.length ? { nextCursor: String(start + 2) } : {}) };
    });
    await list.require('other');
    await list.require('secret_op');
    expect(reads).toBe(2);
    for (const variant of ['SECRET_OP', ' secret_op', 'secret_op ', 'Secret_Op']) {
      expect(await seen(list.require(variant, `s__${variant}`))).toMatchObject({ code: -32602, message: `Unknown tool: s__${variant}` });
    }
    names = ['echo', 'added'];
    expect(await seen(list.require('added'))).toMatchObject({ code: -32602 });
    list.invalidate();
    await list.require('added');
    expect(await seen(list.require('secret_op'))).toMatchObject({ code: -32602 });
  });

  it('does not remember a failed read', async () => {
    let fail = true;
    const list = new UpstreamToolList(async () => {
      if (fail) throw new Error('upstream down');
      return { tools: [{ name: 'echo' }] };
    });
    await expect(list.require('echo')).rejects.toThrow('upstream down');
    fail = false;
    await list.require('echo');
  });
});

describe('ToolNameCache (the 2026-07-28 path: one list per upstream and process)', () => {
  function upstream(initial: string[]) {
    const state = { names: initial, reads: 0 };
    const page = async () => {
      state.reads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return { tools: state.names.map((name) => ({ name })) };
    };
    return { state, page };
  }

  it('reads once for many calls; an unknown name reads again at once; a removed tool is refused after the TTL', async () => {
    let now = 1_000;
    const cache = new ToolNameCache({ ttlMs: 30_000, now: () => now });
    const { state, page } = upstream(['echo']);
    for (let i = 0; i < 5; i++) await cache.require('s1', page, 'echo');
    expect(state.reads).toBe(1);
    // Added upstream: the miss reads again before refusing, so the new tool is callable at once.
    state.names = ['echo', 'added'];
    await cache.require('s1', page, 'added');
    expect(state.reads).toBe(2);
    // A name still unknown after the read again is refused with the name as the client wrote it.
    expect(await seen(cache.require('s1', page, 'ECHO', 's1__ECHO'))).toMatchObject({ code: -32602, message: 'Unknown tool: s1__ECHO' });
    expect(state.reads).toBe(3);
    // Removed upstream: still let through inside the TTL, refused once it has passed.
    state.names = ['added'];
    now += 29_999;
    await cache.require('s1', page, 'echo');
    expect(state.reads).toBe(3);
    now += 1;
    expect(await seen(cache.require('s1', page, 'echo'))).toMatchObject({ code: -32602 });
    expect(state.reads).toBe(4);
  });

  it('joins concurrent reads of one list (single flight), keeps keys apart, forgets failed reads, and is bounded', async () => {
    const cache = new ToolNameCache({ maxEntries: 2 });
    const a = upstream(['echo']);
    await Promise.all([cache.require('a', a.page, 'echo'), cache.require('a', a.page, 'echo'), cache.require('a', a.page, 'nope').catch(() => undefined)]);
    expect(a.state.reads).toBe(1);
    const b = upstream(['other']);
    expect(await seen(cache.require('b', b.page, 'echo'))).toMatchObject({ code: -32602 });
    let fail = true;
    const flaky = async () => {
      if (fail) throw new Error('upstream down');
      return { tools: [{ name: 'echo' }] };
    };
    await expect(cache.require('c', flaky, 'echo')).rejects.toThrow('upstream down');
    fail = false;
    await cache.require('c', flaky, 'echo');
    // Three keys, room for two: the least recently read ('a') was dropped and is read again.
    await cache.require('a', a.page, 'echo');
    expect(a.state.reads).toBe(2);
  });
});
