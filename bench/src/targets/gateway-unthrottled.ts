import { ConfigError, gatewayConfigSchema, loadConfig } from '@airlock/config';
import { createLogger } from '@airlock/observability';
import { createInfra } from '@airlock/platform';
import { startMcpGateway } from '@airlock/mcp-gateway';

// The gateway exactly as apps/mcp-gateway/src/main.ts starts it, except that the per-tenant and
// per-session rate limits (10,000 and 600 calls a minute, not configurable by environment) are raised
// so far that a benchmark never meets them. The limiter still runs (two hot-store INCRs per call).

const UNLIMITED = 1_000_000_000;

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
const app = await startMcpGateway({ config, infra, logger, tuning: { perTenantPerMinute: UNLIMITED, perSessionPerMinute: UNLIMITED, shutdownGraceMs: 2_000 } });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
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
