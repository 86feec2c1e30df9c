import { Body, Controller, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminRevokeSessionsRequestSchema, adminRoutes, adminSessionsQuerySchema, sessionIdSchema, tenantSlugSchema } from '@airlock/contracts';
import { AdminAudit } from './admin-audit.service.js';
import { AdminAuth, type AdminCaller } from './admin-auth.service.js';
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
    private readonly auth: AdminAuth,
    private readonly sessions: AdminSessionsService,
    private readonly audit: AdminAudit,
  ) {}

  private caller(req: FastifyRequest, reply: FastifyReply): Promise<AdminCaller> {
    return this.auth.authenticate(req, reply);
  }

  @AdminRoute(adminRoutes.listSessions)
  async listSessions(@Param('tenant') tenant: string, @Query() query: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.caller(req, reply);
    const { limit, cursor, client, subject } = parse(adminSessionsQuerySchema, query);
    return this.sessions.list(slugOf(tenant), { client, subject }, limit, cursor);
  }

  @AdminRoute(adminRoutes.revokeSession)
  async revokeSession(@Param('tenant') tenant: string, @Param('sessionId') sessionId: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const caller = await this.caller(req, reply);
    await this.sessions.revoke(slugOf(tenant), sessionIdOf(sessionId));
    await this.audit.record(caller, tenant, 'admin.session.revoke', `session:${sessionId}`);
  }

  @AdminRoute(adminRoutes.revokeSessions)
  async revokeSessions(@Param('tenant') tenant: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const caller = await this.caller(req, reply);
    const filter = parse(adminRevokeSessionsRequestSchema, body);
    const revoked = await this.sessions.revokeMany(slugOf(tenant), filter);
    await this.audit.record(caller, tenant, 'admin.sessions.revoke', undefined, { ...filter, revoked });
    return { revoked };
  }
}
