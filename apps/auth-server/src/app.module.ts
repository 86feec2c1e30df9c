import { Global, Module, type Type } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { Infra } from '@airlock/platform';
import { AccountModule } from './account/account.module.js';
import { AdminModule } from './admin/admin.module.js';
import { BootstrapModule } from './bootstrap/bootstrap.module.js';
import { InteractionsModule } from './interactions/interactions.module.js';
import { LoginSessionsModule } from './login-sessions/login-sessions.module.js';
import { OidcModule } from './oidc/oidc.module.js';
import { AUTH_CONFIG, INFRA, LOGGER } from './oidc/ports.js';

export interface AppDeps {
  config: AuthServerConfig;
  infra: Infra;
  logger: Logger;
}

/**
 * The auth server's root module, built per start so tests can run several servers in one process, each
 * with its own config and infra behind the global INFRA / AUTH_CONFIG / LOGGER tokens.
 */
export function createAppModule(deps: AppDeps, extra: Array<Type<unknown>> = []): Type<unknown> {
  @Global()
  @Module({
    providers: [
      { provide: INFRA, useValue: deps.infra },
      { provide: AUTH_CONFIG, useValue: deps.config },
      { provide: LOGGER, useValue: deps.logger },
    ],
    exports: [INFRA, AUTH_CONFIG, LOGGER],
  })
  class AuthContextModule {}

  // Nest keeps one instance per module class, so a test passing one of these again in `extra` is harmless.
  @Module({ imports: [AuthContextModule, OidcModule, BootstrapModule, InteractionsModule, LoginSessionsModule, AccountModule, AdminModule, ...extra] })
  class AuthServerModule {}

  return AuthServerModule;
}
