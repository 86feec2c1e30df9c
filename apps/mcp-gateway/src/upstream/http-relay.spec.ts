import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SseParser, startExchange } from './http-relay.js';
import type { ResponseSink, SseEvent } from './http-relay.js';

function parse(chunks: string[]): { events: SseEvent[]; retryMs: number | undefined } {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) parser.push(chunk, (event) => events.push(event));
  return { events, retryMs: parser.retryMs };
}

describe('SseParser', () => {
  it('dispatches events at blank lines, joins data lines, keeps the last event id and the retry', () => {
    const { events, retryMs } = parse(['id: s_1\nretry: 500\ndata:\n\n', 'event: message\nid: s_2\ndata: {"a":\ndata: 1}\n\n: comment\n\n']);
    expect(events).toEqual([
      { id: 's_1', data: '' },
      { id: 's_2', data: '{"a":\n1}', event: 'message' },
      { id: 's_2', data: '' },
    ]);
    expect(retryMs).toBe(500);
  });

  it('reads CRLF, CR and LF line ends, split anywhere across chunks, and UTF-8 text as given', () => {
    const whole = 'data: héllo\r\n\r\ndata: two\r\rdata: three\n\n';
    const expected = ['héllo', 'two', 'three'];
    for (let cut = 0; cut <= whole.length; cut++) {
      const { events } = parse([whole.slice(0, cut), whole.slice(cut)]);
      expect(events.map((event) => event.data)).toEqual(expected);
    }
    expect(parse(whole.split('')).events.map((event) => event.data)).toEqual(expected);
  });

  it('ignores an incomplete last event, ids with NUL, unknown fields and a non-numeric retry', () => {
    const { events, retryMs } = parse(['id: a\0b\nfoo: bar\nretry: soon\ndata: x\n\ndata: unfinished\n']);
    expect(events).toEqual([{ data: 'x' }]);
    expect(retryMs).toBeUndefined();
  });
});

describe('startExchange', () => {
  let server: Server;
  let pool: Pool;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/hang') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        return;
      }
      response.writeHead(201, { 'content-type': 'application/json' });
      response.write('{"a":');
      setTimeout(() => response.end('1}'), 5);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sinkOf = (onData?: (chunk: Buffer) => void) => {
    const seen = { status: 0, type: '', body: '' };
    const sink: ResponseSink = {
      start: (status, type) => Object.assign(seen, { status, type }),
      data: (chunk) => {
        seen.body += chunk.toString('utf8');
        onData?.(chunk);
      },
    };
    return { seen, sink };
  };

  it('gives the status, content type and every chunk to the sink, then settles', async () => {
    const { seen, sink } = sinkOf();
    await startExchange(pool, { path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, sink).done;
    expect(seen).toEqual({ status: 201, type: 'application/json', body: '{"a":1}' });
  });

  it('fails the exchange when it is aborted mid-body, and when the sink throws', async () => {
    const { seen, sink } = sinkOf();
    const exchange = startExchange(pool, { path: '/hang', method: 'GET', headers: {} }, sink);
    await vi.waitFor(() => expect(seen.body).toBe('data: first\n\n'));
    exchange.abort();
    await expect(exchange.done).rejects.toThrow('exchange aborted');

    const throwing = sinkOf(() => {
      throw new Error('sink refused');
    });
    await expect(startExchange(pool, { path: '/', method: 'GET', headers: {} }, throwing.sink).done).rejects.toThrow('sink refused');
  });

  it('never sends a request aborted before it started', async () => {
    const { seen, sink } = sinkOf();
    const exchange = startExchange(pool, { path: '/', method: 'GET', headers: {} }, sink);
    exchange.abort();
    await expect(exchange.done).rejects.toThrow('exchange aborted');
    expect(seen.status).toBe(0);
  });
});
