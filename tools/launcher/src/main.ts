import {
  authServerConfigSchema,
  ConfigError,
  gatewayConfigSchema,
  loadConfig,
  platformConfigSchema,
  sessionStoreConfigSchema,
} from '@airlock/config';
import type { AuthServerConfig, GatewayConfig, SessionStoreConfig } from '@airlock/config';
import type { Infra, StartedApp } from '@airlock/platform';

// `npm start`: the three services in one process on one shared Infra. With neither DATABASE_URL nor
// REDIS_URL that is the embedded default (PGlite under AIRLOCK_DATA_DIR, in-process hot store and queues).
// Only the config lib is imported up front: a bad config is reported before seconds of loading Nest,
// Prisma and oidc-provider.

const SHUTDOWN_LIMIT_MS = 20_000;

/** Errors whose message is the whole story: printed alone, no stack, exit 1. */
function failPlainly(error: unknown, plainErrors: ReadonlyArray<abstract new (...args: never[]) => Error> = [ConfigError]): never | void {
  if (plainErrors.some((type) => error instanceof type)) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

interface Configs {
  auth: AuthServerConfig;
  sessionStore: SessionStoreConfig;
  gateway: GatewayConfig;
}

function parseConfigs(): Configs {
  try {
    // The union schema first, so one message names every bad key of every service.
    loadConfig(platformConfigSchema);
    return { auth: loadConfig(authServerConfigSchema), sessionStore: loadConfig(sessionStoreConfigSchema), gateway: loadConfig(gatewayConfigSchema) };
  } catch (error) {
    failPlainly(error);
    throw error;
  }
}

const configs = parseConfigs();
const [{ createLogger }, { createInfra, MasterKeyError }, { startAuthServer }, { startSessionStore }, { startMcpGateway }, { formatBanner }] = await Promise.all([
  import('@airlock/observability'),
  import('@airlock/platform'),
  import('@airlock/auth-server'),
  import('@airlock/session-store'),
  import('@airlock/mcp-gateway'),
  import('./banner.js'),
]);
const runtime = configs.auth;
const logger = createLogger({ name: 'airlock', level: runtime.logLevel });
const appLogger = (name: string) => createLogger({ name, level: runtime.logLevel });

const started: StartedApp[] = [];
let infra: Infra | undefined;

async function stopAll(): Promise<void> {
  // Reverse order: the gateway stops taking MCP traffic before what it depends on goes away.
  for (const app of [...started].reverse()) {
    await app.close().catch((error: unknown) => logger.error({ err: error, app: app.name }, 'error while stopping'));
  }
  started.length = 0;
  await infra?.close();
}

async function start(): Promise<void> {
  infra = await createInfra({ runtime, logger, migrate: true });
  started.push(await startAuthServer({ config: configs.auth, infra, logger: appLogger('auth-server') }));
  started.push(await startSessionStore({ config: configs.sessionStore, infra, logger: appLogger('session-store') }));
  started.push(await startMcpGateway({ config: configs.gateway, infra, logger: appLogger('mcp-gateway') }));
  process.stdout.write(formatBanner(started, infra, runtime.dataDir));
}

let stopping = false;
function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C: the user wants out now.
    process.exit(130);
  }
  stopping = true;
  logger.info({ signal }, 'stopping');
  setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS).unref();
  stopAll().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    },
  );
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  await start();
} catch (error) {
  await stopAll().catch(() => undefined);
  failPlainly(error, [ConfigError, MasterKeyError]);
  logger.fatal({ err: error }, 'Airlock failed to start');
  process.exit(1);
}
