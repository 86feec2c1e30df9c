import { Module } from '@nestjs/common';
import { OidcModule } from '../../oidc/oidc.module.js';
import { SamlAudit } from './saml-audit.js';
import { SamlBroker } from './saml-broker.service.js';
import { SamlController } from './saml.controller.js';
import { SamlProviderRepository } from './saml-provider.repository.js';
import { SamlStateStore } from './saml-state.store.js';

/**
 * The SAML 2.0 broker. FEDERATED_SIGN_IN (linking and provisioning) comes from the federation module,
 * which imports this one.
 */
@Module({
  imports: [OidcModule],
  controllers: [SamlController],
  providers: [SamlBroker, SamlStateStore, SamlProviderRepository, SamlAudit],
})
export class SamlModule {}
