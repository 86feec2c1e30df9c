export interface LogThrottleOptions {
  /** One line per key per this period. */
  everyMs: number;
  now?: () => number;
}

/**
 * Lets one line per key through each period and counts the rest: `write(suppressed)` runs for the lines
 * that get through, with how many of that key were held back since the last one. For errors that repeat
 * while a dependency is down (a reconnect loop, a retried job), so an outage shows without flooding the log.
 */
export type LogThrottle = (key: string, write: (suppressed: number) => void) => void;

export function createLogThrottle({ everyMs, now = Date.now }: LogThrottleOptions): LogThrottle {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key, write) => {
    const at = now();
    const entry = last.get(key);
    if (entry && at - entry.at < everyMs) {
      entry.suppressed += 1;
      return;
    }
    last.set(key, { at, suppressed: 0 });
    write(entry?.suppressed ?? 0);
  };
}
