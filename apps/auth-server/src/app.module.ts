import { Module, type Type } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import { createServiceMetrics, type ServiceMetrics } from '@airlock/metrics';
import type { Infra } from '@airlock/platform';
import { AccountModule } from './account/account.module.js';
import { AdminModule } from './admin/admin.module.js';
import { BootstrapModule } from './bootstrap/bootstrap.module.js';
import { ConsoleModule } from './console/console.module.js';
import { FederationModule } from './federation/federation.module.js';
import { SamlModule } from './federation/saml/saml.module.js';
import { AuthConfigModule, DatabaseModule, HotStoreModule, LoggerModule, MasterKeyModule, QueuesModule } from './infra/infra.module.js';
import { InteractionsModule } from './interactions/interactions.module.js';
import { LoginSessionsModule } from './login-sessions/login-sessions.module.js';
import { MetricsModule } from './metrics/auth-metrics.js';
import { OidcModule } from './oidc/oidc.module.js';
import { ScimModule } from './scim/scim.module.js';

export interface AppDeps {
  config: AuthServerConfig;
  infra: Infra;
  logger: Logger;
  /** Where the server's series go; tests that do not read them may leave it out. */
  metrics?: ServiceMetrics;
}

/**
 * The auth server's root module, built per start so tests can run several servers in one process, each
 * with its own config and infra. The process's Infra is split into one global module per concern
 * (database, hot store, queues, master key, config, logger); classes inject the narrow tokens.
 */
export function createAppModule(deps: AppDeps, extra: Array<Type<unknown>> = []): Type<unknown> {
  // Nest keeps one instance per module class, so a test passing one of these again in `extra` is harmless.
  @Module({
    imports: [
      DatabaseModule.forRoot(deps.infra),
      HotStoreModule.forRoot(deps.infra),
      QueuesModule.forRoot(deps.infra),
      MasterKeyModule.forRoot(deps.infra),
      AuthConfigModule.forRoot(deps.config),
      LoggerModule.forRoot(deps.logger),
      MetricsModule.forRoot(deps.metrics ?? createServiceMetrics('auth-server')),
      OidcModule,
      BootstrapModule,
      InteractionsModule,
      LoginSessionsModule,
      AccountModule,
      AdminModule,
      ConsoleModule,
      ScimModule,
      FederationModule,
      SamlModule,
      ...extra,
    ],
  })
  class AuthServerModule {}

  return AuthServerModule;
}
