import { describe, expect, it } from 'vitest';
import { SseParser } from './http-relay.js';
import type { SseEvent } from './http-relay.js';

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
