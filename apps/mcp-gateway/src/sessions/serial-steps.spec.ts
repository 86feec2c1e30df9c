import { describe, expect, it } from 'vitest';
import { serialSteps } from './serial-steps.js';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serialSteps', () => {
  it('runs steps in the order given, each after the previous one settled, a quick one behind a slow one too', async () => {
    const serial = serialSteps();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await later(ms);
      log.push(`end ${name}`);
    };
    await Promise.all([serial(step('slow', 20)), serial(step('quick', 0)), serial(step('last', 5))]);
    expect(log).toEqual(['start slow', 'end slow', 'start quick', 'end quick', 'start last', 'end last']);
  });

  it('starts a step at once when nothing is in flight, and a microtask later otherwise', async () => {
    const serial = serialSteps();
    let ran = 0;
    const first = serial(async () => void (ran += 1));
    expect(ran).toBe(1);
    const second = serial(async () => void (ran += 1));
    expect(ran).toBe(1);
    await Promise.all([first, second]);
    expect(ran).toBe(2);
    await serial(async () => void (ran += 1));
    expect(ran).toBe(3);
  });

  it('rejects a failed step (thrown or rejected) to its caller only; the next steps still run', async () => {
    const serial = serialSteps();
    const thrown = serial(() => {
      throw new Error('sync');
    });
    const rejected = serial(() => Promise.reject(new Error('async')));
    const fine = serial(async () => 'ok');
    await expect(thrown).rejects.toThrow('sync');
    await expect(rejected).rejects.toThrow('async');
    await expect(fine).resolves.toBeUndefined();
    // Idle again after failures: the next step starts at once.
    let ran = false;
    const next = serial(async () => void (ran = true));
    expect(ran).toBe(true);
    await next;
  });
});
