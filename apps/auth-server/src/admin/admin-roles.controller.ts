import { Body, Controller, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  adminClientParamsSchema,
  adminPrincipalParamsSchema,
  adminRoutes,
  adminUserParamsSchema,
  createAdminClientRequestSchema,
  createAdminUserRequestSchema,
  enrollAdminTotpRequestSchema,
  putRoleAssignmentRequestSchema,
  updateAdminClientRequestSchema,
  updateAdminUserRequestSchema,
} from '@airlock/contracts';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { AdminAudit } from './admin-audit.service.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import type { RoleAssignmentView } from './admin-roles.repository.js';
import { AdminRolesService } from './admin-roles.service.js';

/** Role assignments, admin people and automation clients (platform admins only: no `{tenant}` in these paths). Audited on the `admin` tenant. */
@Controller()
export class AdminRolesController {
  constructor(
    private readonly roles: AdminRolesService,
    private readonly audit: AdminAudit,
  ) {}

  @AdminRoute(adminRoutes.listRoleAssignments)
  async listRoleAssignments() {
    return { items: (await this.roles.list()).map(assignmentJson) };
  }

  @AdminRoute(adminRoutes.putRoleAssignment)
  async putRoleAssignment(@Param() params: unknown, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { principalType, principalId } = parse(adminPrincipalParamsSchema, params);
    const assignment = await this.roles.put(principalType, principalId, parse(putRoleAssignmentRequestSchema, body));
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.role.put', `${principalType}/${principalId}`, { role: assignment.role, tenants: assignment.tenants });
    return assignmentJson(assignment);
  }

  @AdminRoute(adminRoutes.deleteRoleAssignment)
  async deleteRoleAssignment(@Param() params: unknown, @CurrentAdmin() caller: AdminCaller): Promise<void> {
    const { principalType, principalId } = parse(adminPrincipalParamsSchema, params);
    await this.roles.remove(principalType, principalId);
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.role.delete', `${principalType}/${principalId}`);
  }

  @AdminRoute(adminRoutes.createAdminUser)
  async createAdminUser(@Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const user = await this.roles.createUser(parse(createAdminUserRequestSchema, body));
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.admin_user.create', user.id);
    return user;
  }

  @AdminRoute(adminRoutes.updateAdminUser)
  async updateAdminUser(@Param() params: unknown, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { id } = parse(adminUserParamsSchema, params);
    const { disabled } = parse(updateAdminUserRequestSchema, body);
    const user = await this.roles.setUserDisabled(id, disabled);
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.admin_user.update', id, { disabled });
    return user;
  }

  @AdminRoute(adminRoutes.enrollAdminTotp)
  async enrollAdminTotp(@Param() params: unknown, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller, @Res({ passthrough: true }) reply: FastifyReply) {
    const { id } = parse(adminUserParamsSchema, params);
    parse(enrollAdminTotpRequestSchema, body);
    const uri = await this.roles.enrollTotp(id);
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.admin_user.totp_enroll', id);
    void reply.header('cache-control', 'no-store');
    return { otpauth_uri: uri };
  }

  @AdminRoute(adminRoutes.createAdminClient)
  async createAdminClient(@Body() body: unknown, @CurrentAdmin() caller: AdminCaller, @Res({ passthrough: true }) reply: FastifyReply) {
    const created = await this.roles.createClient(parse(createAdminClientRequestSchema, body));
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.admin_client.create', String(created['client_id']));
    void reply.header('cache-control', 'no-store');
    return created;
  }

  @AdminRoute(adminRoutes.updateAdminClient)
  async updateAdminClient(@Param() params: unknown, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { clientId } = parse(adminClientParamsSchema, params);
    const { disabled } = parse(updateAdminClientRequestSchema, body);
    const client = await this.roles.setClientDisabled(clientId, disabled);
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.admin_client.update', clientId, { disabled });
    return client;
  }
}

function assignmentJson(assignment: RoleAssignmentView) {
  return { ...assignment, createdAt: assignment.createdAt.toISOString(), updatedAt: assignment.updatedAt.toISOString() };
}
