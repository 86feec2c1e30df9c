import { Module } from '@nestjs/common';
import { AdminTotpModule } from '../admin-totp/admin-totp.module.js';
import { InteractionsModule } from '../interactions/interactions.module.js';
import { LoginSessionsModule } from '../login-sessions/login-sessions.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountSessions } from './account-session.service.js';

/** The self-service page at /t/<slug>/account; GrantRevoker comes from OidcModule. */
@Module({
  imports: [UsersModule, OidcModule, InteractionsModule, LoginSessionsModule, AdminTotpModule],
  controllers: [AccountController],
  providers: [AccountSessions],
})
export class AccountModule {}
