import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminRouteDefinition } from '@airlock/contracts';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { authorizeAdminCall } from './admin-access.js';
import { AdminAudit } from './admin-audit.service.js';
import { auditActionOf, defaultTarget, outcomeOf } from './admin-audit.interceptor.js';
import { attachAdminCaller } from './admin-caller.js';
import { AdminAuth } from './admin-auth.service.js';
import { ADMIN_ROUTE } from './admin-route.metadata.js';

/**
 * The one gate of every `/admin/v1` route (applied by `@AdminRoute`): authenticates the bearer token,
 * authorizes the caller's role and tenant set against the route's table entry (admin-access.ts), and leaves
 * the caller on the request for `@CurrentAdmin()`. A refusal is thrown in the API's error shape (an
 * authentication one with the `WWW-Authenticate` challenge already set). An authenticated admin refused
 * by role or tenant set is audited, reads included (probing another tenant is what an auditor wants to
 * see), on the platform tenant's log: the tenant asked for may not exist, and its own log must not learn
 * of callers outside it.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly auth: AdminAuth,
    private readonly reflector: Reflector,
    private readonly audit: AdminAudit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const route = this.reflector.get<AdminRouteDefinition | undefined>(ADMIN_ROUTE, context.getHandler());
    // @AdminRoute always sets it; a guard used elsewhere must not let a call through unauthorized.
    if (!route) throw new Error('AdminGuard on a handler without @AdminRoute');
    const caller = await this.auth.authenticate(request, http.getResponse<FastifyReply>());
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    try {
      authorizeAdminCall(route, caller, params);
    } catch (error) {
      const { outcome, reason } = outcomeOf(error);
      await this.audit.record({
        caller,
        tenant: ADMIN_TENANT_SLUG,
        action: auditActionOf(this.reflector, context, route),
        target: defaultTarget(route, params),
        outcome,
        details: { reason, ...(params['tenant'] ? { tenant: params['tenant'] } : {}) },
      });
      throw error;
    }
    attachAdminCaller(request, caller);
    return true;
  }
}
