import { ConfigError, gatewayConfigSchema, loadConfig } from '@airlock/config';
import { createLogger } from '@airlock/observability';
import { createInfra } from '@airlock/platform';
import { startMcpGateway } from './index.js';

// Runs the MCP gateway alone (production: one service per container, migrations applied by the migrate job).

function parseConfig() {
  try {
    return loadConfig(gatewayConfigSchema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = parseConfig();
const logger = createLogger({ name: 'mcp-gateway', level: config.logLevel });
const infra = await createInfra({ runtime: config, logger });
const app = await startMcpGateway({ config, infra, logger });
process.stdout.write(`${app.banner.join('\n')}\n`);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  // Readiness turns false, open streams get `retry` and close, in-flight calls finish, then exit.
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
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
