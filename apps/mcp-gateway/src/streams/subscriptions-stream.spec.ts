import { describe, expect, it } from 'vitest';
import { HeldSink, readSseMessages } from './subscriptions-stream.js';

const streamOf = (chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

describe('listen stream plumbing', () => {
  it('reads SSE messages across chunk boundaries, CRLF included; comments and non-JSON data are skipped', async () => {
    const seen: unknown[] = [];
    await readSseMessages(
      streamOf(['event: message\r\ndata: {"a":', '1}\r', '\n\r\n: keepalive\n\n', 'data: not json\n\n', 'data: {"b":\ndata: 2}\n\n', 'data: {"c":3}']),
      (message) => seen.push(message),
    );
    // The last event never ended with a blank line: it is not a message yet.
    expect(seen).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('holds notifications until started, then passes them on in order', () => {
    const held = new HeldSink();
    const out: string[] = [];
    held.deliver('notifications/tools/list_changed', undefined);
    held.start((method) => out.push(method));
    held.deliver('notifications/resources/updated', { uri: 'a://x' });
    expect(out).toEqual(['notifications/tools/list_changed', 'notifications/resources/updated']);
  });
});
