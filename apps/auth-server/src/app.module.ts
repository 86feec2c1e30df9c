import { Global, Module, type Type } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { Infra } from '@airlock/platform';
import { BootstrapModule } from './bootstrap/bootstrap.module.js';
import { OidcModule } from './oidc/oidc.module.js';
import { AUTH_CONFIG, INFRA, LOGGER } from './oidc/ports.js';

export interface AppDeps {
  config: AuthServerConfig;
  infra: Infra;
  logger: Logger;
}

/** Extra feature modules (login/consent pages, account page, admin API) registered by their owners' files. */
export const featureModules: Array<Type<unknown>> = [];

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

  @Module({ imports: [AuthContextModule, OidcModule, BootstrapModule, ...featureModules, ...extra] })
  class AuthServerModule {}

  return AuthServerModule;
}
