import { Body, Controller, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { adminClientsQuerySchema, adminListQuerySchema, adminRoutes, createClientRequestSchema, emptyRequestSchema, updateClientRequestSchema } from '@airlock/contracts';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminClientsService } from './admin-clients.service.js';
import { AdminGrantsService } from './admin-grants.service.js';
import { ManagedTenants } from './managed-tenants.service.js';

/** `/admin/v1/tenants/{tenant}/clients`: a tenant's clients (with their last use) and the grants users gave them. */
@Controller()
export class AdminClientsController {
  constructor(
    private readonly clients: AdminClientsService,
    private readonly grants: AdminGrantsService,
    private readonly managed: ManagedTenants,
  ) {}

  @AdminRoute(adminRoutes.listClients)
  async listClients(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor, ...filter } = parse(adminClientsQuerySchema, query);
    return this.clients.list(tenant, filter, limit, cursor);
  }

  @AdminRoute(adminRoutes.createClient)
  @AuditAction('admin.client.create')
  async createClient(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail, @Res({ passthrough: true }) reply: FastifyReply) {
    const created = await this.clients.create(tenant, parse(createClientRequestSchema, body), trail);
    void reply.header('cache-control', 'no-store');
    return created;
  }

  @AdminRoute(adminRoutes.getClient)
  async getClient(@Param('tenant') tenant: string, @Param('clientId') clientId: string) {
    return this.clients.get(tenant, clientId);
  }

  @AdminRoute(adminRoutes.updateClient)
  @AuditAction('admin.client.update')
  async updateClient(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.clients.update(tenant, clientId, parse(updateClientRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteClient)
  @AuditAction('admin.client.delete')
  async deleteClient(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @Trail() trail: AuditTrail): Promise<void> {
    await this.clients.delete(tenant, clientId, trail);
  }

  @AdminRoute(adminRoutes.listClientGrants)
  async listClientGrants(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @Query() query: unknown) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    await this.clients.get(tenant, clientId);
    return this.grants.list(await this.managed.get(tenant), { clientId }, limit, cursor);
  }

  @AdminRoute(adminRoutes.revokeClientGrants)
  @AuditAction('admin.client.grants_revoke')
  async revokeClientGrants(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    parse(emptyRequestSchema, body);
    return { revoked: await this.clients.revokeGrants(tenant, clientId, trail) };
  }
}
