import { Module } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import { SessionAdminClient } from '@airlock/session-client';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { LoginSessions } from './login-sessions.service.js';
import { SessionStoreTokens } from './session-store-tokens.js';

/**
 * Browser sign-ins as `login` sessions in the session store, through the shared SessionAdminClient
 * (@airlock/session-client) with tokens the auth server signs itself; the registry, tenants and job
 * runner come from OidcModule.
 */
@Module({
  imports: [OidcModule],
  providers: [
    SessionStoreTokens,
    {
      provide: SessionAdminClient,
      inject: [AUTH_CONFIG, SessionStoreTokens],
      useFactory: (config: AuthServerConfig, tokens: SessionStoreTokens) =>
        new SessionAdminClient({ sessionStoreUrl: config.sessionStoreUrl, tokens, timeoutMs: config.sessionStoreTimeoutMs }),
    },
    LoginSessions,
  ],
  exports: [SessionAdminClient, LoginSessions],
})
export class LoginSessionsModule {}
