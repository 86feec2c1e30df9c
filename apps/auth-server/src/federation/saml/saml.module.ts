import { Module } from '@nestjs/common';
import { OidcModule } from '../../oidc/oidc.module.js';
import { FederationModule } from '../federation.module.js';
import { SamlBroker } from './saml-broker.service.js';
import { SamlLoginStart } from './saml-login-start.service.js';
import { SamlController } from './saml.controller.js';
import { SamlProviderRepository } from './saml-provider.repository.js';
import { SamlStateStore } from './saml-state.store.js';

/** The SAML 2.0 broker; linking, provisioning and finishing the login come from FederationModule. */
@Module({
  imports: [FederationModule, OidcModule],
  controllers: [SamlController],
  providers: [SamlBroker, SamlStateStore, SamlProviderRepository, SamlLoginStart],
  /** The login page starts SAML sign-ins through SamlLoginStart. */
  exports: [SamlLoginStart],
})
export class SamlModule {}
