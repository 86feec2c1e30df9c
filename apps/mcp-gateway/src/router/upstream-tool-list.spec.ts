import { describe, expect, it } from 'vitest';
import { jsonRpcErrorOf } from '../errors/error-response.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { UpstreamToolList } from './upstream-tool-list.js';

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
