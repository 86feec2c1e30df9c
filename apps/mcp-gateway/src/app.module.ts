import { Module } from '@nestjs/common';
import type { DynamicModule, Type } from '@nestjs/common';
import { TenantDirectory } from './tenants/tenant-directory.js';
import { ProtectedResourceController } from './edge/well-known/protected-resource.controller.js';
import { GATEWAY_URLS } from './edge/well-known/gateway-urls.js';
import type { GatewayUrls } from './edge/well-known/gateway-urls.js';

/** The Nest side of the gateway: metadata routes. The MCP endpoint itself is a raw handler (see index.ts). */
@Module({})
export class AppModule {
  static forRoot(deps: { directory: TenantDirectory; urls: GatewayUrls }): DynamicModule {
    return {
      module: AppModule,
      controllers: [ProtectedResourceController],
      providers: [
        { provide: TenantDirectory, useValue: deps.directory },
        { provide: GATEWAY_URLS, useValue: deps.urls },
      ],
    };
  }
}

/** The root module createHttpApp takes (a class), importing the configured AppModule. */
export function gatewayRootModule(deps: { directory: TenantDirectory; urls: GatewayUrls }): Type<unknown> {
  @Module({ imports: [AppModule.forRoot(deps)] })
  class GatewayRootModule {}
  return GatewayRootModule;
}
