import type { Logger } from '@airlock/observability';

/**
 * What a check resolves with when its dependency answers but work was lost (e.g. jobs dropped after their
 * last attempt). The service stays ready (restarting it would not bring the work back, and killing the pod
 * would lose more); operators see it in /readyz and the log. Counts and names only: the detail goes to the
 * client.
 */
export interface DegradedDetail {
  degraded: Record<string, unknown>;
}

/** A dependency the service needs to do useful work (database, hot store, an upstream). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers (with a detail when degraded); throws (or hangs past the timeout) when it does not. */
  check(): Promise<void | DegradedDetail>;
}

export type CheckOutcome = 'ok' | 'degraded' | 'failed' | 'timeout';

export interface ReadinessReport {
  /** Every check ok or degraded. */
  ready: boolean;
  /** Some check degraded (then `details` says what). */
  degraded: boolean;
  checks: Record<string, CheckOutcome>;
  details: Record<string, Record<string, unknown>>;
}

class CheckTimeout extends Error {}

/**
 * Runs every check at once, each bounded by `timeoutMs`. Only the outcome per check is reported: error
 * text (which may hold a connection string) goes to the log, never to the client.
 */
export async function runReadiness(checks: readonly ReadinessCheck[], options: { timeoutMs: number; logger: Logger }): Promise<ReadinessReport> {
  const details: Record<string, Record<string, unknown>> = {};
  const outcomes = await Promise.all(
    checks.map(async (check): Promise<[string, CheckOutcome]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), options.timeoutMs);
      });
      try {
        const result = await Promise.race([check.check(), timeout]);
        if (!result) return [check.name, 'ok'];
        details[check.name] = result.degraded;
        return [check.name, 'degraded'];
      } catch (error) {
        const outcome: CheckOutcome = error instanceof CheckTimeout ? 'timeout' : 'failed';
        options.logger.warn({ check: check.name, outcome, err: error instanceof CheckTimeout ? undefined : error }, 'readiness check did not pass');
        return [check.name, outcome];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    ready: outcomes.every(([, outcome]) => outcome === 'ok' || outcome === 'degraded'),
    degraded: outcomes.some(([, outcome]) => outcome === 'degraded'),
    checks: Object.fromEntries(outcomes),
    details,
  };
}
