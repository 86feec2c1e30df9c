import { describe, expect, it, vi } from 'vitest';
import { CallCancel } from './call-cancel.js';

describe('CallCancel', () => {
  it('calls its listener once with the reason, and a removed listener not at all', () => {
    const cancel = new CallCancel();
    const removed = vi.fn();
    const listener = vi.fn();
    cancel.onAbort(removed);
    cancel.onAbort(undefined);
    cancel.onAbort(listener);
    cancel.abort('client said so');
    cancel.abort('again');
    expect(removed).not.toHaveBeenCalled();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith('client said so');
    expect(cancel.aborted).toBe(true);
    expect(cancel.reason).toBe('client said so');
  });

  it('gives a real AbortSignal on demand, aborted with the same reason before or after it was asked for', () => {
    const early = new CallCancel();
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    early.abort('later');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('later');
    expect(early.signal).toBe(signal);

    const late = new CallCancel();
    late.abort('before');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('before');
  });
});
