import { Body, Controller, Param, Query } from '@nestjs/common';
import { adminListQuerySchema, adminRoutes, adminUsersQuerySchema, createUserRequestSchema, emptyRequestSchema, updateUserRequestSchema } from '@airlock/contracts';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { AdminRoute } from './admin-route.decorator.js';
import { notFound, parse } from './admin.errors.js';
import { AdminGrantsService } from './admin-grants.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { ManagedTenants } from './managed-tenants.service.js';

/** `/admin/v1/tenants/{tenant}/users`: a tenant's users, their sign-in, and the grants they gave. */
@Controller()
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly grants: AdminGrantsService,
    private readonly managed: ManagedTenants,
  ) {}

  @AdminRoute(adminRoutes.listUsers)
  async listUsers(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor, q, disabled, sort } = parse(adminUsersQuerySchema, query);
    return this.users.list(tenant, { q, disabled, sort }, limit, cursor);
  }

  @AdminRoute(adminRoutes.createUser)
  @AuditAction('admin.user.create')
  async createUser(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.users.create(tenant, parse(createUserRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.getUser)
  async getUser(@Param('tenant') tenant: string, @Param('id') id: string) {
    return this.users.get(tenant, id);
  }

  @AdminRoute(adminRoutes.updateUser)
  @AuditAction('admin.user.update')
  async updateUser(@Param('tenant') tenant: string, @Param('id') id: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.users.update(tenant, id, parse(updateUserRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteUser)
  @AuditAction('admin.user.delete')
  async deleteUser(@Param('tenant') tenant: string, @Param('id') id: string, @Trail() trail: AuditTrail): Promise<void> {
    await this.users.delete(tenant, id, trail);
  }

  @AdminRoute(adminRoutes.resetUserSignIn)
  @AuditAction('admin.user.reset_sign_in')
  async resetUserSignIn(@Param('tenant') tenant: string, @Param('id') id: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    parse(emptyRequestSchema, body);
    return this.users.resetSignIn(tenant, id, trail);
  }

  @AdminRoute(adminRoutes.signOutUser)
  @AuditAction('admin.user.sign_out')
  async signOutUser(@Param('tenant') tenant: string, @Param('id') id: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    parse(emptyRequestSchema, body);
    return this.users.signOutEverywhere(tenant, id, trail);
  }

  @AdminRoute(adminRoutes.listUserGrants)
  async listUserGrants(@Param('tenant') tenant: string, @Param('id') id: string, @Query() query: unknown) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    await this.users.get(tenant, id);
    return this.grants.list(await this.managed.get(tenant), { userId: id }, limit, cursor);
  }

  @AdminRoute(adminRoutes.revokeUserGrant)
  @AuditAction('admin.grant.revoke')
  async revokeUserGrant(@Param('tenant') tenant: string, @Param('id') id: string, @Param('grantId') grantId: string, @Trail() trail: AuditTrail): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('user');
    await this.grants.revokeOne(await this.managed.get(tenant), { userId: id }, grantId, trail);
  }
}
