import { Body, Controller, Param, Query } from '@nestjs/common';
import {
  adminGroupMappingsQuerySchema,
  adminListQuerySchema,
  adminRoutes,
  createGroupMappingRequestSchema,
  createIdentityProviderRequestSchema,
  identityProviderSlugSchema,
  updateGroupMappingRequestSchema,
  updateIdentityProviderRequestSchema,
} from '@airlock/contracts';
import { z } from 'zod';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { AdminRoute } from './admin-route.decorator.js';
import { notFound, parse } from './admin.errors.js';
import { AdminIdentityProvidersService } from './admin-identity-providers.service.js';

const mappingParams = z.object({ tenant: z.string(), id: z.uuid() });

/** A malformed provider slug names no provider: 404, as for any other unknown one. */
function providerSlug(value: string): string {
  const parsed = identityProviderSlugSchema.safeParse(value);
  if (!parsed.success) throw notFound('identity provider');
  return parsed.data;
}

/** `/admin/v1/tenants/{tenant}/identity-providers` and `/group-mappings`: enterprise sign-in of a tenant. */
@Controller()
export class AdminIdentityProvidersController {
  constructor(private readonly providers: AdminIdentityProvidersService) {}

  @AdminRoute(adminRoutes.listIdentityProviders)
  async listIdentityProviders(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    return this.providers.list(tenant, limit, cursor);
  }

  @AdminRoute(adminRoutes.createIdentityProvider)
  @AuditAction('admin.identity_provider.create')
  async createIdentityProvider(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.providers.create(tenant, parse(createIdentityProviderRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.getIdentityProvider)
  async getIdentityProvider(@Param('tenant') tenant: string, @Param('provider') provider: string) {
    return this.providers.get(tenant, providerSlug(provider));
  }

  @AdminRoute(adminRoutes.updateIdentityProvider)
  @AuditAction('admin.identity_provider.update')
  async updateIdentityProvider(@Param('tenant') tenant: string, @Param('provider') provider: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const patch = parse(updateIdentityProviderRequestSchema, body);
    return this.providers.update(tenant, providerSlug(provider), patch, trail);
  }

  @AdminRoute(adminRoutes.deleteIdentityProvider)
  @AuditAction('admin.identity_provider.delete')
  async deleteIdentityProvider(@Param('tenant') tenant: string, @Param('provider') provider: string, @Trail() trail: AuditTrail): Promise<void> {
    await this.providers.delete(tenant, providerSlug(provider), trail);
  }

  @AdminRoute(adminRoutes.listGroupMappings)
  async listGroupMappings(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor, ...filter } = parse(adminGroupMappingsQuerySchema, query);
    return this.providers.listMappings(tenant, filter, limit, cursor);
  }

  @AdminRoute(adminRoutes.createGroupMapping)
  @AuditAction('admin.group_mapping.create')
  async createGroupMapping(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.providers.createMapping(tenant, parse(createGroupMappingRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.updateGroupMapping)
  @AuditAction('admin.group_mapping.update')
  async updateGroupMapping(@Param() params: unknown, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const { tenant, id } = parse(mappingParams, params);
    return this.providers.updateMapping(tenant, id, parse(updateGroupMappingRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteGroupMapping)
  @AuditAction('admin.group_mapping.delete')
  async deleteGroupMapping(@Param() params: unknown, @Trail() trail: AuditTrail): Promise<void> {
    const { tenant, id } = parse(mappingParams, params);
    await this.providers.deleteMapping(tenant, id, trail);
  }
}
