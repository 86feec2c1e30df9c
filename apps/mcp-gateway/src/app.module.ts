import { Module } from '@nestjs/common';
import type { DynamicModule, Type } from '@nestjs/common';
import { TenantCatalog } from './tenants/tenant-catalog.js';
import { ProtectedResourceController } from './edge/well-known/protected-resource.controller.js';
import { GATEWAY_URLS } from './edge/well-known/gateway-urls.js';
import type { GatewayUrls } from './edge/well-known/gateway-urls.js';

/** The Nest side of the gateway: metadata routes. The MCP endpoint itself is a raw handler (see index.ts). */
@Module({})
export class AppModule {
  static forRoot(deps: { directory: TenantCatalog; urls: GatewayUrls }): DynamicModule {
    return {
      module: AppModule,
      controllers: [ProtectedResourceController],
      providers: [
        { provide: TenantCatalog, useValue: deps.directory },
        { provide: GATEWAY_URLS, useValue: deps.urls },
      ],
    };
  }
}

/** The root module createHttpApp takes (a class), importing the configured AppModule. */
export function gatewayRootModule(deps: { directory: TenantCatalog; urls: GatewayUrls }): Type<unknown> {
  @Module({ imports: [AppModule.forRoot(deps)] })
  class GatewayRootModule {}
  return GatewayRootModule;
}
