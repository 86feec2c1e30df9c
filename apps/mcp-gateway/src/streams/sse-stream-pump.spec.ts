import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { SseEventLog } from './sse-event-log.js';
import { DirectStreamTimers, directStream, pumpStream } from './sse-stream-pump.js';
import type { RawResponse } from './sse-stream-pump.js';

/** Records what reaches the socket, in order with the hot-store calls (`trail`). */
function fakeResponse(trail: string[]) {
  const response = new EventEmitter() as EventEmitter & Record<string, unknown>;
  let ended = false;
  Object.assign(response, {
    headersSent: false,
    get writableEnded() {
      return ended;
    },
    destroyed: false,
    writeHead(_status: number, headers: Record<string, string>) {
      trail.push(`http:type ${headers['content-type']}`);
      return response;
    },
    flushHeaders() {
      response['headersSent'] = true;
      trail.push('http:headers');
    },
    write(chunk: string) {
      response['headersSent'] = true;
      trail.push(`http:${chunk}`);
      return true;
    },
    end(chunk?: string) {
      if (chunk) trail.push(`http:${chunk}`);
      trail.push('http:end');
      ended = true;
      queueMicrotask(() => response.emit('close'));
    },
  });
  return response as unknown as RawResponse;
}

function recordingStore(inner: HotStore, trail: string[]): HotStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'xadd' || property === 'xaddMany' || property === 'publish') trail.push(`redis:${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DirectStreamTimers', () => {
  it('a stream registered just before the shared timer fires still waits the whole priming delay', () => {
    vi.useFakeTimers();
    try {
      const timers = new DirectStreamTimers({ keepAliveMs: 60_000, primingDelayMs: 100 });
      const ran: string[] = [];
      timers.later(() => ran.push('first'));
      vi.advanceTimersByTime(99);
      timers.later(() => ran.push('second'));
      const cancelled = () => ran.push('cancelled');
      timers.later(cancelled);
      timers.cancel(cancelled);
      vi.advanceTimersByTime(2);
      // One tick per window: what was registered 2 ms ago has not waited the delay yet.
      expect(ran).not.toContain('second');
      vi.advanceTimersByTime(200);
      expect(ran).toEqual(['first', 'second']);
      // Nothing left: the timer stops.
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('directStream (fast path on the home replica)', () => {
  it('sends the log entries before the bytes, priming + answer + end in one write, resumable from the log', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const log = new SseEventLog(recordingStore(hot, trail), { maxEvents: 100, retentionMs: 60_000 });
    const timers = new DirectStreamTimers({ keepAliveMs: 60_000, primingDelayMs: 50 });
    const response = fakeResponse(trail);
    const pump = directStream(response, {}, { log, sessionId: 's', streamId: 'a'.repeat(24), retryMs: 10, timers, answerAsJson: false, onAppendError: () => undefined });
    const primingId = await log.append('s', 'a'.repeat(24), { kind: 'priming' });
    await log.append('s', 'a'.repeat(24), { kind: 'message', message: { jsonrpc: '2.0', id: 1, result: { ok: true } } });
    await log.append('s', 'a'.repeat(24), { kind: 'end' });
    await pump.done;
    await sleep(5);
    // One MULTI, then one write of everything, then nothing more (no wake-up, no read-back).
    expect(trail[0]).toBe('redis:xaddMany');
    expect(trail.filter((step) => step.startsWith('redis:'))).toEqual(['redis:xaddMany']);
    const body = trail.filter((step) => step.startsWith('http:') && step !== 'http:end' && !step.startsWith('http:type')).join('');
    expect(trail).toContain('http:type text/event-stream');
    expect(body).toContain(`id: ${primingId}\nretry: 10\ndata: \n\n`);
    expect(body).toContain('"result":{"ok":true}');
    expect(trail.at(-1)).toBe('http:end');
    // Everything is in the log for a resume on any replica.
    const entryId = SseEventLog.parseEventId(primingId)!.entryId;
    const replay = await log.readAfter('s', 'a'.repeat(24), entryId);
    expect(replay.map((row) => row.entry.kind)).toEqual(['message', 'end']);
    await hot.close();
  });

  it('closed for a retry before the priming delay: sends the priming id first, then detaches with a wake-up', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const log = new SseEventLog(recordingStore(hot, trail), { maxEvents: 100, retentionMs: 60_000 });
    const timers = new DirectStreamTimers({ keepAliveMs: 60_000, primingDelayMs: 10_000 });
    const pump = directStream(fakeResponse(trail), {}, { log, sessionId: 's', streamId: 'b'.repeat(24), retryMs: 10, timers, answerAsJson: false, onAppendError: () => undefined });
    const primingId = await log.append('s', 'b'.repeat(24), { kind: 'priming' });
    pump.closeForRetry(7);
    expect(trail.slice(0, 4)).toEqual(['redis:xaddMany', 'redis:publish', 'http:type text/event-stream', `http:id: ${primingId}\nretry: 10\ndata: \n\nretry: 7\n\n`]);
    // Later entries take the shared path (append, then wake-up).
    await log.append('s', 'b'.repeat(24), { kind: 'end' });
    expect(trail.slice(-2)).toEqual(['redis:xadd', 'redis:publish']);
    await hot.close();
  });
});

describe('directStream answering a lone request', () => {
  const start = (trail: string[], hot: HotStore, streamId: string, primingDelayMs = 50) => {
    const log = new SseEventLog(recordingStore(hot, trail), { maxEvents: 100, retentionMs: 60_000 });
    const timers = new DirectStreamTimers({ keepAliveMs: 60_000, primingDelayMs });
    const pump = directStream(fakeResponse(trail), {}, { log, sessionId: 's', streamId, retryMs: 10, timers, answerAsJson: true, onAppendError: () => undefined });
    return { log, pump };
  };

  it('a quick answer is one JSON body and nothing of the stream reaches the log', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const { log, pump } = start(trail, hot, 'd'.repeat(24));
    await log.append('s', 'd'.repeat(24), { kind: 'priming' });
    await log.append('s', 'd'.repeat(24), { kind: 'message', message: { jsonrpc: '2.0', id: 1, result: { ok: true } } });
    await log.append('s', 'd'.repeat(24), { kind: 'end' });
    await pump.done;
    await sleep(80);
    expect(trail).toEqual(['http:type application/json', 'http:{"jsonrpc":"2.0","id":1,"result":{"ok":true}}', 'http:end']);
    expect(await log.exists('s', 'd'.repeat(24))).toBe(false);
    // The stream is forgotten once ended: a later stream with the same key takes the shared path again.
    await log.append('s', 'd'.repeat(24), { kind: 'end' });
    expect(trail.at(-2)).toBe('redis:xadd');
    await hot.close();
  });

  it('a notification before the answer makes it an SSE stream, logged for a resume', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const { log, pump } = start(trail, hot, 'e'.repeat(24));
    await log.append('s', 'e'.repeat(24), { kind: 'priming' });
    await log.append('s', 'e'.repeat(24), { kind: 'message', message: { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } } });
    await log.append('s', 'e'.repeat(24), { kind: 'message', message: { jsonrpc: '2.0', id: 1, result: {} } });
    await log.append('s', 'e'.repeat(24), { kind: 'end' });
    await pump.done;
    await sleep(5);
    expect(trail.filter((step) => step.startsWith('http:type'))).toEqual(['http:type text/event-stream']);
    expect(trail.join('')).toContain('notifications/progress');
    expect((await log.readAfter('s', 'e'.repeat(24), '0')).map((row) => row.entry.kind)).toEqual(['priming', 'message', 'message', 'end']);
    await hot.close();
  });

  it('an answer later than the priming delay comes as an SSE event after the priming event', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const { log, pump } = start(trail, hot, 'f'.repeat(24), 10);
    const primingId = await log.append('s', 'f'.repeat(24), { kind: 'priming' });
    await sleep(40);
    expect(trail).toEqual(['http:type text/event-stream', 'redis:xaddMany', `http:id: ${primingId}\nretry: 10\ndata: \n\n`]);
    await log.append('s', 'f'.repeat(24), { kind: 'message', message: { jsonrpc: '2.0', id: 1, result: {} } });
    await log.append('s', 'f'.repeat(24), { kind: 'end' });
    await pump.done;
    await sleep(5);
    expect(trail.join('')).toContain('"result":{}');
    await hot.close();
  });
});

describe('pumpStream', () => {
  it('closed for a retry before its first read came back: still gives the client the priming id', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const log = new SseEventLog(hot, { maxEvents: 100, retentionMs: 60_000 });
    const primingId = await log.append('s', 'c'.repeat(24), { kind: 'priming' });
    // A read that never answers: the shutdown comes first.
    const stalled = Object.assign(Object.create(log) as SseEventLog, { readAfter: () => new Promise<never>(() => undefined) });
    const pump = pumpStream(fakeResponse(trail), {}, { log: stalled, sessionId: 's', streamId: 'c'.repeat(24), afterEntryId: '0', retryMs: 10, keepAliveMs: 60_000, primingEventId: primingId });
    pump.closeForRetry(7);
    expect(trail).toContain(`http:id: ${primingId}\nretry: 7\ndata: \n\n`);
    expect(trail.at(-1)).toBe('http:end');
    await hot.close();
  });
});
