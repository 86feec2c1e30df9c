import { Module } from '@nestjs/common';
import { LoginSessionsModule } from '../login-sessions/login-sessions.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { ConnectedAccountsModule } from '../connected-accounts/connected-accounts.module.js';
import { UserGrantIds } from './user-grant-ids.repository.js';
import { UserSignOut } from './user-sign-out.service.js';

/** One implementation of "end everything this user holds", shared by the admin API and SCIM. */
@Module({
  imports: [OidcModule, LoginSessionsModule, ConnectedAccountsModule],
  providers: [UserGrantIds, UserSignOut],
  exports: [UserSignOut],
})
export class SignOutModule {}
