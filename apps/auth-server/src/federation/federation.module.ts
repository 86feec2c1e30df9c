import { Module } from '@nestjs/common';
import { FederatedLogin } from './federated-login.js';
import { FEDERATED_SIGN_IN } from './federated-sign-in.js';
import { FederatedSignInService } from './federated-sign-in.service.js';
import { FederationAudit } from './federation-audit.js';
import { FederationRepository } from './federation.repository.js';

/**
 * Federation's shared core: linking and just-in-time provisioning (FEDERATED_SIGN_IN) and the end of a
 * broker's callback (FederatedLogin). The protocol brokers (OIDC, SAML) import this module.
 */
@Module({
  providers: [FederationRepository, FederationAudit, FederatedSignInService, { provide: FEDERATED_SIGN_IN, useExisting: FederatedSignInService }, FederatedLogin],
  exports: [FEDERATED_SIGN_IN, FederatedLogin, FederationAudit],
})
export class FederationModule {}
