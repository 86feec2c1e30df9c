import { Body, Controller, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminRevokeSessionsRequestSchema, adminRoutes, adminSessionsQuerySchema, sessionIdSchema, tenantSlugSchema } from '@airlock/contracts';
import { AdminAudit } from './admin-audit.service.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { notFound, parse } from './admin.errors.js';
import { AdminSessionsService } from './admin-sessions.service.js';

function slugOf(value: string): string {
  if (!tenantSlugSchema.safeParse(value).success) throw notFound('tenant');
  return value;
}

/** A malformed id names no session (as a well-formed unknown one). */
function sessionIdOf(value: string): string {
  if (!sessionIdSchema.safeParse(value).success) throw notFound('session');
  return value;
}

/** `/admin/v1/tenants/{tenant}/sessions`: a tenant's live MCP sessions, and ending them (audit-logged). */
@Controller()
export class AdminSessionsController {
  constructor(
    private readonly sessions: AdminSessionsService,
    private readonly audit: AdminAudit,
  ) {}

  @AdminRoute(adminRoutes.listSessions)
  async listSessions(@Param('tenant') tenant: string, @Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { limit, cursor, client, subject } = parse(adminSessionsQuerySchema, query);
    return this.sessions.list(slugOf(tenant), { client, subject }, limit, cursor);
  }

  @AdminRoute(adminRoutes.revokeSession)
  async revokeSession(@Param('tenant') tenant: string, @Param('sessionId') sessionId: string, @CurrentAdmin() caller: AdminCaller): Promise<void> {
    await this.sessions.revoke(slugOf(tenant), sessionIdOf(sessionId));
    await this.audit.record(caller, tenant, 'admin.session.revoke', `session:${sessionId}`);
  }

  @AdminRoute(adminRoutes.revokeSessions)
  async revokeSessions(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const filter = parse(adminRevokeSessionsRequestSchema, body);
    const revoked = await this.sessions.revokeMany(slugOf(tenant), filter);
    await this.audit.record(caller, tenant, 'admin.sessions.revoke', undefined, { ...filter, revoked });
    return { revoked };
  }
}
