import { describe, expect, it } from 'vitest';
import { createLogThrottle } from './log-throttle.js';

describe('log throttle', () => {
  it('lets one line per key and period through, counting what it held back', () => {
    let now = 0;
    const throttle = createLogThrottle({ everyMs: 1000, now: () => now });
    const written: string[] = [];
    const log = (key: string) => throttle(key, (suppressed) => written.push(`${key}:${suppressed}`));
    log('redis');
    log('redis');
    log('queue');
    now = 999;
    log('redis');
    now = 1000;
    log('redis');
    log('queue');
    now = 5000;
    log('redis');
    expect(written).toEqual(['redis:0', 'queue:0', 'redis:2', 'queue:0', 'redis:0']);
  });
});
