import { Module } from '@nestjs/common';
import type { ModuleMetadata } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { ClientDirectory } from './client-directory.js';
import { ConsentRepository } from './consent.repository.js';
import { CsrfService } from './csrf.service.js';
import { InteractionsController } from './interactions.controller.js';
import { InteractionsService } from './interactions.service.js';
import { ToolCatalogRepository } from './tool-catalog.repository.js';

/**
 * Login and consent pages. Needs TenantProviders and ResourceCatalog from auth-core: pass the module
 * exporting them (OidcModule) as `imports`, e.g. `InteractionsModule.register({ imports: [OidcModule] })`.
 */
@Module({})
export class InteractionsModule {
  static register(options: { imports: NonNullable<ModuleMetadata['imports']> }): DynamicModule {
    return {
      module: InteractionsModule,
      imports: [UsersModule, ...options.imports],
      controllers: [InteractionsController],
      providers: [InteractionsService, ConsentRepository, ToolCatalogRepository, ClientDirectory, CsrfService],
      exports: [ConsentRepository, ClientDirectory, CsrfService],
    };
  }
}
