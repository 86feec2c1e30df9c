import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
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
    writeHead() {
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

describe('directStream (fast path on the home replica)', () => {
  it('sends the log entries before the bytes, priming + answer + end in one write, resumable from the log', async () => {
    const trail: string[] = [];
    const hot = createMemoryHotStore();
    const log = new SseEventLog(recordingStore(hot, trail), { maxEvents: 100, retentionMs: 60_000 });
    const timers = new DirectStreamTimers({ keepAliveMs: 60_000, primingDelayMs: 50 });
    const response = fakeResponse(trail);
    const pump = directStream(response, {}, { log, sessionId: 's', streamId: 'a'.repeat(24), retryMs: 10, timers, onAppendError: () => undefined });
    const primingId = await log.append('s', 'a'.repeat(24), { kind: 'priming' });
    await log.append('s', 'a'.repeat(24), { kind: 'message', message: { jsonrpc: '2.0', id: 1, result: { ok: true } } });
    await log.append('s', 'a'.repeat(24), { kind: 'end' });
    await pump.done;
    await sleep(5);
    // One MULTI, then one write of everything, then nothing more (no wake-up, no read-back).
    expect(trail[0]).toBe('redis:xaddMany');
    expect(trail.filter((step) => step.startsWith('redis:'))).toEqual(['redis:xaddMany']);
    const body = trail.filter((step) => step.startsWith('http:') && step !== 'http:end').join('');
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
    const pump = directStream(fakeResponse(trail), {}, { log, sessionId: 's', streamId: 'b'.repeat(24), retryMs: 10, timers, onAppendError: () => undefined });
    const primingId = await log.append('s', 'b'.repeat(24), { kind: 'priming' });
    pump.closeForRetry(7);
    expect(trail.slice(0, 3)).toEqual(['redis:xaddMany', 'redis:publish', `http:id: ${primingId}\nretry: 10\ndata: \n\nretry: 7\n\n`]);
    // Later entries take the shared path (append, then wake-up).
    await log.append('s', 'b'.repeat(24), { kind: 'end' });
    expect(trail.slice(-2)).toEqual(['redis:xadd', 'redis:publish']);
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
