import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module.js';
import { SignOutModule } from '../sign-out/sign-out.module.js';
import { ScimAudit } from './scim-audit.js';
import { ScimAuthGuard } from './scim-auth.js';
import { ScimController } from './scim.controller.js';
import { ScimGroupsRepository } from './scim-groups.repository.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimTokensRepository } from './scim-tokens.repository.js';
import { ScimUsersRepository } from './scim-users.repository.js';
import { ScimUsersService } from './scim-users.service.js';

/**
 * SCIM 2.0 provisioning (RFC 7643/7644) per tenant at /scim/v2/t/<tenant>, behind the tenant's bearer
 * tokens. Exports the token repository (the admin API makes and revokes tokens). Group mappings read a
 * user's memberships at every token (users/group-scopes.ts, UserRepository.groupAccess).
 */
@Module({
  imports: [OidcModule, SignOutModule],
  controllers: [ScimController],
  providers: [ScimTokensRepository, ScimAuthGuard, ScimAudit, ScimUsersRepository, ScimUsersService, ScimGroupsRepository, ScimGroupsService],
  exports: [ScimTokensRepository],
})
export class ScimModule {}
