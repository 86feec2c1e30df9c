import type { z } from 'zod';
import { ConfigError, loadConfig } from '@airlock/config';
import type { RuntimeConfig } from '@airlock/config';
import { createLogger } from '@airlock/observability';
import type { Logger } from '@airlock/observability';
import { createInfra } from './infra.js';
import type { Infra } from './infra.js';
import { runProcess } from './run-process.js';
import type { StartedApp } from './started-app.js';

export interface RunServiceOptions<S extends z.ZodType<RuntimeConfig>> {
  /** The logger name and the start line's subject (`auth-server`, ...). */
  name: string;
  configSchema: S;
  start(options: { config: z.output<S>; infra: Infra; logger: Logger }): Promise<StartedApp>;
}

/**
 * One service alone in its process (production: one per container, migrations applied by the migrate
 * job): parses its config (a bad one exits 1 with the message naming every bad key, no stack), creates the
 * infra, starts the app, prints its banner, and stops it all cleanly on SIGINT/SIGTERM.
 */
export async function runService<S extends z.ZodType<RuntimeConfig>>({ name, configSchema, start }: RunServiceOptions<S>): Promise<void> {
  const config = parseConfigOrExit(configSchema);
  const logger = createLogger({ name, level: config.logLevel });
  await runProcess({
    logger,
    async start(scope) {
      const infra = await createInfra({ runtime: config, logger });
      scope.onStop('infra', () => infra.close());
      if (scope.stopping) return;
      // Stopping drains: readiness turns 503, open streams are told to reconnect, in-flight requests finish.
      const app = await start({ config, infra, logger });
      scope.onStop(name, () => app.close());
      logger.info({ url: app.url }, `${name} started`);
      if (app.banner.length > 0) process.stdout.write(`${app.banner.join('\n')}\n`);
    },
  });
}

/** Parses the environment with `schema`; a bad config is one message on stderr and exit code 1. */
export function parseConfigOrExit<S extends z.ZodType>(schema: S): z.output<S> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
