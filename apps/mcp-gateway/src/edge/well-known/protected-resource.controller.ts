import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import { Scopes, aggregatedMcpUrl, issuerUrl, serverMcpUrl, tenantSlugSchema } from '@airlock/contracts';
import { TenantCatalog } from '../../tenants/tenant-catalog.js';
import { GATEWAY_URLS } from './gateway-urls.js';
import type { GatewayUrls } from './gateway-urls.js';

/**
 * RFC 9728 protected resource metadata of each MCP endpoint, at the path-inserted well-known URL:
 * `/.well-known/oauth-protected-resource/t/<tenant>/mcp` for `/t/<tenant>/mcp`, likewise per server.
 * It names the tenant's issuer as the one authorization server.
 */
@Controller('.well-known/oauth-protected-resource/t/:tenant')
export class ProtectedResourceController {
  constructor(
    @Inject(TenantCatalog) private readonly directory: TenantCatalog,
    @Inject(GATEWAY_URLS) private readonly urls: GatewayUrls,
  ) {}

  @Get('mcp')
  @Header('cache-control', 'public, max-age=300')
  async aggregated(@Param('tenant') tenant: string) {
    const record = await this.requireTenant(tenant);
    return this.metadata(tenant, aggregatedMcpUrl(this.urls.publicUrl, tenant), `${tenant} (all servers)`, await this.directory.toolScopeNames(record.id));
  }

  @Get('servers/:name/mcp')
  @Header('cache-control', 'public, max-age=300')
  async server(@Param('tenant') tenant: string, @Param('name') name: string) {
    const record = await this.requireTenant(tenant);
    const servers = await this.directory.upstreamServers(record.id);
    const server = servers.find((candidate) => candidate.name === name);
    if (!server) throw new NotFoundException();
    return this.metadata(tenant, serverMcpUrl(this.urls.publicUrl, tenant, name), `${tenant}/${name}`, await this.directory.toolScopeNames(record.id, server.id));
  }

  private async requireTenant(tenant: string) {
    const record = tenantSlugSchema.safeParse(tenant).success ? await this.directory.tenant(tenant) : undefined;
    if (!record) throw new NotFoundException();
    return record;
  }

  private metadata(tenant: string, resource: string, name: string, toolScopes: string[]) {
    return {
      resource,
      authorization_servers: [issuerUrl(this.urls.authPublicUrl, tenant)],
      scopes_supported: [...new Set([Scopes.mcp, ...toolScopes])],
      bearer_methods_supported: ['header'],
      resource_name: name,
    };
  }
}
