import { ConfigError, loadConfig, authServerConfigSchema } from '@airlock/config';
import { createLogger } from '@airlock/observability';
import { createInfra } from '@airlock/platform';
import { startAuthServer } from './index.js';

// Runs the auth server alone (production: one service per container, migrations applied by the migrate job).

function parseConfig() {
  try {
    return loadConfig(authServerConfigSchema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = parseConfig();
const logger = createLogger({ name: 'auth-server', level: config.logLevel });
const infra = await createInfra({ runtime: config, logger });
const app = await startAuthServer({ config, infra, logger });
logger.info({ url: app.url }, 'auth server started');
process.stdout.write(`${app.banner.join('\n')}\n`);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  app
    .close()
    .then(() => infra.close())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
