import { Module } from '@nestjs/common';
import { OidcModule } from '../../oidc/oidc.module.js';
import { FederationModule } from '../federation.module.js';
import { IdentityProviderRepository } from '../identity-provider.repository.js';
import { OidcBroker } from './oidc-broker.service.js';
import { OidcClientFactory } from './oidc-client.factory.js';
import { OidcFederationController } from './oidc-federation.controller.js';

/** The OpenID Connect broker and its callback route; the login page (InteractionsModule) starts sign-ins through it. */
@Module({
  imports: [FederationModule, OidcModule],
  controllers: [OidcFederationController],
  providers: [IdentityProviderRepository, OidcClientFactory, OidcBroker],
  exports: [IdentityProviderRepository, OidcBroker],
})
export class OidcFederationModule {}
