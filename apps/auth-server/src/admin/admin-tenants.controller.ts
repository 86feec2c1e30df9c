import { Body, Controller, Param, Query } from '@nestjs/common';
import {
  adminRoutes,
  adminTenantsQuerySchema,
  createInitialAccessTokenRequestSchema,
  createTenantRequestSchema,
  rotateKeysRequestSchema,
  setRegistrationPolicyRequestSchema,
  updateTenantRequestSchema,
} from '@airlock/contracts';
import { visibleTenants } from './admin-access.js';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminTenantsService } from './admin-tenants.service.js';

/** `/admin/v1/tenants`: tenants (with counts), their registration policy, initial access tokens and signing keys. */
@Controller()
export class AdminTenantsController {
  constructor(private readonly tenants: AdminTenantsService) {}

  @AdminRoute(adminRoutes.listTenants)
  async listTenants(@Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { limit, cursor, q } = parse(adminTenantsQuerySchema, query);
    return this.tenants.list(limit, cursor, { q, only: visibleTenants(caller) });
  }

  @AdminRoute(adminRoutes.createTenant)
  @AuditAction('admin.tenant.create')
  async createTenant(@Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.tenants.create(parse(createTenantRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.getTenant)
  async getTenant(@Param('tenant') tenant: string) {
    return this.tenants.get(tenant);
  }

  @AdminRoute(adminRoutes.updateTenant)
  @AuditAction('admin.tenant.update')
  async updateTenant(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.tenants.update(tenant, parse(updateTenantRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteTenant)
  @AuditAction('admin.tenant.delete')
  async deleteTenant(@Param('tenant') tenant: string, @Trail() trail: AuditTrail): Promise<void> {
    await this.tenants.delete(tenant, trail);
  }

  @AdminRoute(adminRoutes.setRegistrationPolicy)
  @AuditAction('admin.tenant.registration_policy')
  async setRegistrationPolicy(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const { policy } = parse(setRegistrationPolicyRequestSchema, body);
    const updated = await this.tenants.setRegistrationPolicy(tenant, policy, trail);
    return { policy: updated.registrationPolicy };
  }

  @AdminRoute(adminRoutes.createInitialAccessToken)
  @AuditAction('admin.initial_access_token.create')
  async createInitialAccessToken(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const { expiresIn } = parse(createInitialAccessTokenRequestSchema, body);
    return this.tenants.createInitialAccessToken(tenant, expiresIn, trail);
  }

  @AdminRoute(adminRoutes.listKeys)
  async listKeys(@Param('tenant') tenant: string) {
    return { items: await this.tenants.listKeys(tenant) };
  }

  @AdminRoute(adminRoutes.rotateKeys)
  @AuditAction('admin.keys.rotate')
  async rotateKeys(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    parse(rotateKeysRequestSchema, body);
    return { items: await this.tenants.rotateKeys(tenant, trail) };
  }
}
