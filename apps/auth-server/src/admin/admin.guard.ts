import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminRouteDefinition } from '@airlock/contracts';
import { authorizeAdminCall } from './admin-access.js';
import { attachAdminCaller } from './admin-caller.js';
import { AdminAuth } from './admin-auth.service.js';
import { ADMIN_ROUTE } from './admin-route.metadata.js';

/**
 * The one gate of every `/admin/v1` route (applied by `@AdminRoute`): authenticates the bearer token,
 * authorizes the caller's role and tenant set against the route's table entry (admin-access.ts), and leaves
 * the caller on the request for `@CurrentAdmin()`. A refusal is thrown in the API's error shape (an
 * authentication one with the `WWW-Authenticate` challenge already set).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly auth: AdminAuth,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const route = this.reflector.get<AdminRouteDefinition | undefined>(ADMIN_ROUTE, context.getHandler());
    // @AdminRoute always sets it; a guard used elsewhere must not let a call through unauthorized.
    if (!route) throw new Error('AdminGuard on a handler without @AdminRoute');
    const caller = await this.auth.authenticate(request, http.getResponse<FastifyReply>());
    authorizeAdminCall(route, caller, (request.params ?? {}) as Record<string, string | undefined>);
    attachAdminCaller(request, caller);
    return true;
  }
}
