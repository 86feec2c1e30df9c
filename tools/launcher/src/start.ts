import { authServerConfigSchema, ConfigError, gatewayConfigSchema, loadConfig, platformConfigSchema, sessionStoreConfigSchema } from '@airlock/config';
import type { AuthServerConfig, GatewayConfig, SessionStoreConfig } from '@airlock/config';
import type { StartedApp } from '@airlock/platform';

// `npm start`: the three services in one process on one shared Infra. With neither DATABASE_URL nor
// REDIS_URL that is the embedded default (PGlite under AIRLOCK_DATA_DIR, in-process hot store and queues).
// Only the config lib is imported up front: a bad config is reported before seconds of loading Nest,
// Prisma and oidc-provider.

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
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const configs = parseConfigs();
const [{ createLogger }, { createInfra, runProcess }, { startAuthServer }, { startSessionStore }, { startMcpGateway }, { formatBanner }, { demoUpstreams, startNotesServer }] = await Promise.all([
  import('@airlock/observability'),
  import('@airlock/platform'),
  import('@airlock/auth-server'),
  import('@airlock/session-store'),
  import('@airlock/mcp-gateway'),
  import('./banner.js'),
  import('./demo-tenant.js'),
]);
const runtime = configs.auth;
const logger = createLogger({ name: 'airlock', level: runtime.logLevel });
const appLogger = (name: string) => createLogger({ name, level: runtime.logLevel });

await runProcess({
  logger,
  async start(scope) {
    const infra = await createInfra({ runtime, logger, migrate: true });
    scope.onStop('infra', () => infra.close());
    // The demo tenant's MCP servers come with the embedded default only, where the demo tenant is seeded.
    let seeded: ReturnType<typeof demoUpstreams> = [];
    let notesUrl: string | undefined;
    if (infra.embedded.database) {
      const notes = await startNotesServer({ port: runtime.demoServerPort });
      scope.onStop('demo notes server', () => notes.close());
      notesUrl = notes.url;
      seeded = demoUpstreams(notes.url);
      // The notes server listens on the loopback, which the egress policy refuses unless listed.
      configs.gateway.egress.allowHosts.push(new URL(notes.url).host);
    }
    // In this order, so stopping (in reverse) takes the gateway off MCP traffic before what it depends on goes.
    const steps: Array<() => Promise<StartedApp>> = [
      () => startAuthServer({ config: configs.auth, infra, logger: appLogger('auth-server'), demoUpstreams: seeded }),
      () => startSessionStore({ config: configs.sessionStore, infra, logger: appLogger('session-store') }),
      () => startMcpGateway({ config: configs.gateway, infra, logger: appLogger('mcp-gateway') }),
    ];
    const started: StartedApp[] = [];
    for (const step of steps) {
      if (scope.stopping) return;
      const app = await step();
      scope.onStop(app.name, () => app.close());
      started.push(app);
    }
    if (!scope.stopping) process.stdout.write(formatBanner(started, infra, runtime.dataDir, notesUrl ? { notesUrl, gatewayUrl: configs.gateway.publicUrl, authUrl: configs.auth.publicUrl, adminClientId: configs.auth.bootstrapAdmin?.clientId } : undefined));
  },
});
