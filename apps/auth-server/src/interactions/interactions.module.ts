import { Module } from '@nestjs/common';
import { AdminTotpModule } from '../admin-totp/admin-totp.module.js';
import { OidcFederationModule } from '../federation/oidc/oidc-federation.module.js';
import { SamlModule } from '../federation/saml/saml.module.js';
import { IdJagModule } from '../id-jag/id-jag.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { UsersModule } from '../users/users.module.js';
import { ClientDirectory } from './client-directory.js';
import { ConsentRepository } from './consent.repository.js';
import { CsrfService } from './csrf.service.js';
import { InteractionsController } from './interactions.controller.js';
import { InteractionsService } from './interactions.service.js';
import { ToolCatalogRepository } from './tool-catalog.repository.js';

/** Login and consent pages at /t/<slug>/interaction/<uid>; TenantProviders and ResourceCatalog come from OidcModule. */
@Module({
  imports: [UsersModule, OidcModule, AdminTotpModule, IdJagModule, OidcFederationModule, SamlModule],
  controllers: [InteractionsController],
  providers: [InteractionsService, ConsentRepository, ToolCatalogRepository, ClientDirectory, CsrfService],
  exports: [ConsentRepository, ClientDirectory, CsrfService],
})
export class InteractionsModule {}
