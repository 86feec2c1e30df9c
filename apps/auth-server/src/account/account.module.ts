import { Module } from '@nestjs/common';
import { AdminTotpModule } from '../admin-totp/admin-totp.module.js';
import { InteractionsModule } from '../interactions/interactions.module.js';
import { LoginSessionsModule } from '../login-sessions/login-sessions.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountSessions } from './account-session.service.js';
import { ConnectController } from './connect.controller.js';
import { ConnectedAccountsModule } from '../connected-accounts/connected-accounts.module.js';

/** The self-service page at /t/<slug>/account and the connect page of connected accounts (/t/<slug>/connect/<server>); GrantRevoker comes from OidcModule. */
@Module({
  imports: [UsersModule, OidcModule, InteractionsModule, LoginSessionsModule, AdminTotpModule, ConnectedAccountsModule],
  controllers: [AccountController, ConnectController],
  providers: [AccountSessions],
})
export class AccountModule {}
