import { Body, Controller, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  adminClientParamsSchema,
  adminPrincipalParamsSchema,
  adminRoleAssignmentsQuerySchema,
  adminUsersQuerySchema,
  adminRoutes,
  adminUserParamsSchema,
  createAdminClientRequestSchema,
  createAdminUserRequestSchema,
  enrollAdminTotpRequestSchema,
  putRoleAssignmentRequestSchema,
  updateAdminClientRequestSchema,
  updateAdminUserRequestSchema,
} from '@airlock/contracts';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import type { RoleAssignmentView } from './admin-roles.repository.js';
import { AdminRolesService } from './admin-roles.service.js';

/**
 * Role assignments, admin people and automation clients (platform admins only: no `{tenant}` in these
 * paths). Their writes are audited by the admin audit interceptor (every non-GET route of the table).
 */
@Controller()
export class AdminRolesController {
  constructor(private readonly roles: AdminRolesService) {}

  @AdminRoute(adminRoutes.listRoleAssignments)
  async listRoleAssignments(@Query() query: unknown) {
    const { q, limit, cursor } = parse(adminRoleAssignmentsQuerySchema, query);
    const listed = await this.roles.list(q, limit, cursor);
    return { items: listed.items.map(assignmentJson), nextCursor: listed.nextCursor };
  }

  @AdminRoute(adminRoutes.listAdminUsers)
  async listAdminUsers(@Query() query: unknown) {
    const { q, disabled, sort, limit, cursor } = parse(adminUsersQuerySchema, query);
    return this.roles.listUsers({ q, disabled, sort }, limit, cursor);
  }

  @AdminRoute(adminRoutes.putRoleAssignment)
  async putRoleAssignment(@Param() params: unknown, @Body() body: unknown) {
    const { principalType, principalId } = parse(adminPrincipalParamsSchema, params);
    return assignmentJson(await this.roles.put(principalType, principalId, parse(putRoleAssignmentRequestSchema, body)));
  }

  @AdminRoute(adminRoutes.deleteRoleAssignment)
  async deleteRoleAssignment(@Param() params: unknown): Promise<void> {
    const { principalType, principalId } = parse(adminPrincipalParamsSchema, params);
    await this.roles.remove(principalType, principalId);
  }

  @AdminRoute(adminRoutes.createAdminUser)
  async createAdminUser(@Body() body: unknown) {
    return this.roles.createUser(parse(createAdminUserRequestSchema, body));
  }

  @AdminRoute(adminRoutes.updateAdminUser)
  async updateAdminUser(@Param() params: unknown, @Body() body: unknown) {
    const { id } = parse(adminUserParamsSchema, params);
    const { disabled } = parse(updateAdminUserRequestSchema, body);
    return this.roles.setUserDisabled(id, disabled);
  }

  @AdminRoute(adminRoutes.enrollAdminTotp)
  async enrollAdminTotp(@Param() params: unknown, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { id } = parse(adminUserParamsSchema, params);
    parse(enrollAdminTotpRequestSchema, body);
    const uri = await this.roles.enrollTotp(id);
    void reply.header('cache-control', 'no-store');
    return { otpauth_uri: uri };
  }

  @AdminRoute(adminRoutes.createAdminClient)
  async createAdminClient(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const created = await this.roles.createClient(parse(createAdminClientRequestSchema, body));
    void reply.header('cache-control', 'no-store');
    return created;
  }

  @AdminRoute(adminRoutes.updateAdminClient)
  async updateAdminClient(@Param() params: unknown, @Body() body: unknown) {
    const { clientId } = parse(adminClientParamsSchema, params);
    const { disabled } = parse(updateAdminClientRequestSchema, body);
    return this.roles.setClientDisabled(clientId, disabled);
  }
}

function assignmentJson(assignment: RoleAssignmentView) {
  return { ...assignment, createdAt: assignment.createdAt.toISOString(), updatedAt: assignment.updatedAt.toISOString() };
}
