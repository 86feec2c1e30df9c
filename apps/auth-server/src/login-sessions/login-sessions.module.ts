import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module.js';
import { LoginSessions } from './login-sessions.service.js';
import { SessionStoreClient } from './session-store.client.js';

/** Browser sign-ins as `login` sessions in the session store; the registry, tenants and job runner come from OidcModule. */
@Module({
  imports: [OidcModule],
  providers: [SessionStoreClient, LoginSessions],
  exports: [SessionStoreClient, LoginSessions],
})
export class LoginSessionsModule {}
