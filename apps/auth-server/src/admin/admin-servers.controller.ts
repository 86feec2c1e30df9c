import { Body, Controller, Param, Query } from '@nestjs/common';
import { adminListQuerySchema, adminRoutes, emptyRequestSchema, approveToolRequestSchema, createUpstreamServerRequestSchema, putToolsRequestSchema, setToolScopesRequestSchema, updateUpstreamServerRequestSchema } from '@airlock/contracts';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminServersService } from './admin-servers.service.js';

/** `/admin/v1/tenants/{tenant}/servers`: upstream MCP servers and their tool catalogue. */
@Controller()
export class AdminServersController {
  constructor(private readonly servers: AdminServersService) {}

  @AdminRoute(adminRoutes.listServers)
  async listServers(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    return this.servers.list(tenant, limit, cursor);
  }

  @AdminRoute(adminRoutes.createServer)
  @AuditAction('admin.server.create')
  async createServer(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.servers.create(tenant, parse(createUpstreamServerRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.getServer)
  async getServer(@Param('tenant') tenant: string, @Param('name') name: string) {
    return this.servers.get(tenant, name);
  }

  @AdminRoute(adminRoutes.updateServer)
  @AuditAction('admin.server.update')
  async updateServer(@Param('tenant') tenant: string, @Param('name') name: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.servers.update(tenant, name, parse(updateUpstreamServerRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteServer)
  @AuditAction('admin.server.delete')
  async deleteServer(@Param('tenant') tenant: string, @Param('name') name: string, @Trail() trail: AuditTrail): Promise<void> {
    await this.servers.delete(tenant, name, trail);
  }

  @AdminRoute(adminRoutes.testServer)
  @AuditAction('admin.server.test')
  async testServer(@Param('tenant') tenant: string, @Param('name') name: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    parse(emptyRequestSchema, body ?? {});
    return this.servers.test(tenant, name, trail);
  }

  @AdminRoute(adminRoutes.putTools)
  @AuditAction('admin.tools.replace')
  async putTools(@Param('tenant') tenant: string, @Param('name') name: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return { items: await this.servers.putTools(tenant, name, parse(putToolsRequestSchema, body), trail) };
  }

  @AdminRoute(adminRoutes.listToolChanges)
  async listToolChanges(@Param('tenant') tenant: string, @Param('name') name: string) {
    return { items: await this.servers.toolChanges(tenant, name) };
  }

  @AdminRoute(adminRoutes.approveTool)
  @AuditAction('tool.definition_approved')
  async approveTool(@Param('tenant') tenant: string, @Param('name') name: string, @Param('tool') tool: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.servers.approveTool(tenant, name, tool, parse(approveToolRequestSchema, body).hash, trail);
  }

  @AdminRoute(adminRoutes.setToolScopes)
  @AuditAction('admin.tool.update')
  async setToolScopes(@Param('tenant') tenant: string, @Param('name') name: string, @Param('tool') tool: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.servers.updateTool(tenant, name, tool, parse(setToolScopesRequestSchema, body), trail);
  }
}
