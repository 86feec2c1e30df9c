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

let stopping = false;

async function start(): Promise<void> {
  const shared = await createInfra({ runtime, logger, migrate: true });
  infra = shared;
  const steps: Array<() => Promise<StartedApp>> = [
    () => startAuthServer({ config: configs.auth, infra: shared, logger: appLogger('auth-server') }),
    () => startSessionStore({ config: configs.sessionStore, infra: shared, logger: appLogger('session-store') }),
    () => startMcpGateway({ config: configs.gateway, infra: shared, logger: appLogger('mcp-gateway') }),
  ];
  for (const step of steps) {
    if (stopping) return;
    started.push(await step());
  }
  if (!stopping) process.stdout.write(formatBanner(started, shared, runtime.dataDir));
}

/** A port already taken is an operator error, not a crash: one line naming the port. */
function portInUse(error: unknown): string | undefined {
  const failure = error as { code?: unknown; port?: unknown; address?: unknown };
  return failure?.code === 'EADDRINUSE' ? `Cannot listen on ${String(failure.address)}:${String(failure.port)}: the port is already in use` : undefined;
}

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
  // A signal during startup stops once what is starting has started (or failed).
  startup.catch(() => undefined).then(stopAll).then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    },
  );
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const startup = start();
try {
  await startup;
} catch (error) {
  if (stopping) await new Promise(() => undefined); // onSignal owns the exit now
  await stopAll().catch(() => undefined);
  failPlainly(error, [ConfigError, MasterKeyError]);
  const inUse = portInUse(error);
  if (inUse) {
    process.stderr.write(`${inUse}\n`);
    process.exit(1);
  }
  logger.fatal({ err: error }, 'Airlock failed to start');
  process.exit(1);
}
