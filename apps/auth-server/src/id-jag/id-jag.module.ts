import { Module } from '@nestjs/common';
import { FederationModule } from '../federation/federation.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { UsersModule } from '../users/users.module.js';
import { IdJagAudit } from './id-jag-audit.js';
import { IdJagGrants } from './id-jag-grants.service.js';
import { IdJagRepository } from './id-jag.repository.js';
import { PreApprovalPolicy } from './pre-approval-policy.js';

/** ID-JAG (Identity Assertion JWT Authorization Grant) on both sides, and pre-approved clients. */
@Module({
  imports: [OidcModule, UsersModule, FederationModule],
  providers: [IdJagRepository, IdJagAudit, IdJagGrants, PreApprovalPolicy],
  exports: [IdJagRepository, IdJagAudit, PreApprovalPolicy],
})
export class IdJagModule {}
