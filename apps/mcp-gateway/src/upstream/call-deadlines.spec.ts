import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallDeadlines } from './call-deadlines.js';

describe('CallDeadlines', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires only the calls past their deadline, each once, checked every checkMs', () => {
    vi.useFakeTimers();
    const deadlines = new CallDeadlines(10_000, 1_000);
    const expired: string[] = [];
    const call = (name: string) => ({ expire: () => expired.push(name) });
    const first = call('first');
    const second = call('second');
    const finished = call('finished');
    deadlines.add(first);
    deadlines.add(finished);
    vi.advanceTimersByTime(5_000);
    deadlines.add(second);
    deadlines.delete(finished);
    vi.advanceTimersByTime(5_000);
    expect(expired).toEqual(['first']);
    vi.advanceTimersByTime(4_000);
    expect(expired).toEqual(['first']);
    vi.advanceTimersByTime(1_000);
    expect(expired).toEqual(['first', 'second']);
    expect(deadlines.size).toBe(0);
  });

  it('stops its timer once no call is left, and starts it again for the next call', () => {
    vi.useFakeTimers();
    const deadlines = new CallDeadlines(2_000, 1_000);
    const expire = vi.fn();
    const call = { expire: () => undefined };
    deadlines.add(call);
    deadlines.delete(call);
    expect(vi.getTimerCount()).toBe(1);
    // The next check finds nothing and stops: no timer left to keep anything awake.
    vi.advanceTimersByTime(1_000);
    expect(vi.getTimerCount()).toBe(0);
    deadlines.add({ expire });
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(expire).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
