import { Body, Controller, Param, Query } from '@nestjs/common';
import { adminLoginSessionsQuerySchema, adminRevokeSessionsRequestSchema, adminRoutes, adminSessionsQuerySchema, sessionIdSchema } from '@airlock/contracts';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { AdminRoute } from './admin-route.decorator.js';
import { notFound, parse } from './admin.errors.js';
import { AdminSessionsService } from './admin-sessions.service.js';

/** A malformed id names no session (as a well-formed unknown one). */
function sessionIdOf(value: string): string {
  if (!sessionIdSchema.safeParse(value).success) throw notFound('session');
  return value;
}

/** `/admin/v1/tenants/{tenant}/sessions` and `/login-sessions`: a tenant's live MCP and login sessions, and ending them. */
@Controller()
export class AdminSessionsController {
  constructor(private readonly sessions: AdminSessionsService) {}

  @AdminRoute(adminRoutes.listSessions)
  async listSessions(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor, client, subject, sort } = parse(adminSessionsQuerySchema, query);
    return this.sessions.list(tenant, { client, subject }, limit, cursor, sort);
  }

  @AdminRoute(adminRoutes.revokeSession)
  @AuditAction('admin.session.revoke')
  async revokeSession(@Param('tenant') tenant: string, @Param('sessionId') sessionId: string, @Trail() trail: AuditTrail): Promise<void> {
    trail.target = `session:${sessionId}`;
    await this.sessions.revoke(tenant, sessionIdOf(sessionId));
  }

  @AdminRoute(adminRoutes.revokeSessions)
  @AuditAction('admin.sessions.revoke')
  async revokeSessions(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const { ids, ...filter } = parse(adminRevokeSessionsRequestSchema, body);
    if (ids) {
      // The listed sessions: the record names each one asked for and each one ended (the session store audits each too).
      trail.target = `sessions:${ids.length}`;
      trail.details['ids'] = ids;
      const { revoked, notLive } = await this.sessions.revokeIds(tenant, ids);
      Object.assign(trail.details, { revoked: revoked.length, revokedIds: revoked, notLive });
      return { revoked: revoked.length, notLive };
    }
    Object.assign(trail.details, filter);
    trail.target = filter.client !== undefined ? `client:${filter.client}` : `user:${filter.subject ?? ''}`;
    const revoked = await this.sessions.revokeMany(tenant, filter);
    trail.details['revoked'] = revoked;
    return { revoked };
  }

  @AdminRoute(adminRoutes.listLoginSessions)
  async listLoginSessions(@Param('tenant') tenant: string, @Query() query: unknown) {
    const { limit, cursor, subject } = parse(adminLoginSessionsQuerySchema, query);
    return this.sessions.listLogins(tenant, subject, limit, cursor);
  }

  @AdminRoute(adminRoutes.revokeLoginSession)
  @AuditAction('admin.login_session.revoke')
  async revokeLoginSession(@Param('tenant') tenant: string, @Param('sessionId') sessionId: string, @Trail() trail: AuditTrail): Promise<void> {
    trail.target = `session:${sessionId}`;
    await this.sessions.revokeLogin(tenant, sessionIdOf(sessionId));
  }
}
