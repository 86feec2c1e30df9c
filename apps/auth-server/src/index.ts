import type { AuthServerConfig } from '@airlock/config';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import { createServiceMetrics, exportMetrics } from '@airlock/metrics';
import { Tracing } from '@airlock/tracing';
import type { Logger } from '@airlock/observability';
import type { Infra, StartedApp } from '@airlock/platform';
import type { Type } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { guardAdminRouteCoverage, type RegisteredRoute } from './admin/admin-route-coverage.js';
import { createAppModule } from './app.module.js';
import { BootstrapService } from './bootstrap/bootstrap.service.js';
import type { DemoUpstream } from './bootstrap/demo-upstreams.js';
import { mountOidc } from './oidc/oidc-mount.js';
import { registerScimContentType } from './scim/scim-content-type.js';
import { ScimErrorFilter } from './scim/scim-error.filter.js';
import { TenantResolver } from './tenants/tenant-resolver.js';

export interface StartAuthServerOptions {
  config: AuthServerConfig;
  infra: Infra;
  logger: Logger;
  /** The demo tenant's MCP servers, seeded in embedded mode (the launcher runs them). */
  demoUpstreams?: readonly DemoUpstream[];
  /** More Nest modules in the app (tests mount stand-in brokers this way). */
  extraModules?: Array<Type<unknown>>;
}

export interface AuthServerApp extends StartedApp {
  /** Every route under /admin/ as Fastify registered it: what the start compared with the admin route table. */
  registeredAdminRoutes(): readonly RegisteredRoute[];
}

/** Starts the auth server on its port with the shared infra; the launcher and main.ts both call this. */
export async function startAuthServer({ config, infra, logger, demoUpstreams, extraModules = [] }: StartAuthServerOptions): Promise<AuthServerApp> {
  const metrics = createServiceMetrics('auth-server');
  // OpenTelemetry (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set): a server span per request, the token endpoint's included.
  const tracing = Tracing.start(config.tracing, 'auth-server');
  const app = await createHttpApp(createAppModule({ config, infra, logger, metrics }, extraModules), {
    name: 'auth-server',
    http: config.http,
    logger,
    readiness: infra.readiness,
    metrics: metrics.http,
    tracing,
  });
  // Before any route exists: the start fails if one under /admin/ has no entry in the route table.
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const adminRoutes = guardAdminRouteCoverage(fastify);
  registerScimContentType(fastify);
  // Registered after the shared filter, so it is asked first (Nest tries the last global filter first).
  // The SCIM filter shapes /scim/ refusals and hands everything else to the admin filter it extends.
  app.useGlobalFilters(new ScimErrorFilter(logger));
  try {
    const banner = await app.get(BootstrapService).run(demoUpstreams);
    mountOidc(app, app.get(TenantResolver));
    const url = await listenHttpApp(app, { port: config.port, host: config.http.host });
    const exporter = await exportMetrics(metrics, config.metrics);
    return {
      name: 'auth-server',
      url,
      metricsUrl: exporter?.url,
      banner: [`auth server      ${config.publicUrl} (issuer of tenant demo: ${config.publicUrl}/t/demo)`, ...banner],
      close: async () => {
        await closeHttpApp(app);
        await exporter?.close();
        await tracing.shutdown().catch(() => undefined);
      },
      registeredAdminRoutes: adminRoutes.registered,
    };
  } catch (error) {
    await closeHttpApp(app).catch(() => undefined);
    await tracing.shutdown().catch(() => undefined);
    throw error;
  }
}

export { createAppModule } from './app.module.js';
export type { AppDeps } from './app.module.js';
export type { DemoUpstream } from './bootstrap/demo-upstreams.js';
