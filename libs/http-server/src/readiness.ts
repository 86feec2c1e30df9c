import type { Logger } from '@airlock/observability';

/** A dependency the service needs to do useful work (database, hot store, an upstream). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; throws (or hangs past the timeout) when it does not. */
  check(): Promise<void>;
}

export type CheckOutcome = 'ok' | 'failed' | 'timeout';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckOutcome>;
}

class CheckTimeout extends Error {}

/**
 * Runs every check at once, each bounded by `timeoutMs`. Only the outcome per check is reported: error
 * text (which may hold a connection string) goes to the log, never to the client.
 */
export async function runReadiness(checks: readonly ReadinessCheck[], options: { timeoutMs: number; logger: Logger }): Promise<ReadinessReport> {
  const outcomes = await Promise.all(
    checks.map(async (check): Promise<[string, CheckOutcome]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), options.timeoutMs);
      });
      try {
        await Promise.race([check.check(), timeout]);
        return [check.name, 'ok'];
      } catch (error) {
        const outcome: CheckOutcome = error instanceof CheckTimeout ? 'timeout' : 'failed';
        options.logger.warn({ check: check.name, outcome, err: error instanceof CheckTimeout ? undefined : error }, 'readiness check did not pass');
        return [check.name, outcome];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: outcomes.every(([, outcome]) => outcome === 'ok'), checks: Object.fromEntries(outcomes) };
}
