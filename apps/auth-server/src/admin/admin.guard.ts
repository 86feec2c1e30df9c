import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { attachAdminCaller } from './admin-caller.js';
import { AdminAuth } from './admin-auth.service.js';

/**
 * The one gate of every `/admin/v1` route (applied by `@AdminRoute`): authenticates the bearer token and
 * leaves the caller on the request for `@CurrentAdmin()`. A refusal is thrown by `AdminAuth` in the API's
 * error shape, with the `WWW-Authenticate` challenge already set.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly auth: AdminAuth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    attachAdminCaller(request, await this.auth.authenticate(request, http.getResponse<FastifyReply>()));
    return true;
  }
}
