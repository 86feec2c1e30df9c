import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import { TenantResolver } from './tenant-resolver.js';

const RESOLVED = Symbol('airlock.tenant');

type WithTenant = FastifyRequest & { [RESOLVED]?: TenantProvider };

/**
 * Resolves `:tenant` before the handler runs and keeps it on the request for `@CurrentTenant()`.
 * A slug that names no tenant throws TenantNotFound, which the controller's filter renders.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(private readonly resolver: TenantResolver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WithTenant>();
    const slug = (request.params as Record<string, string | undefined>)['tenant'] ?? '';
    request[RESOLVED] = await this.resolver.provider(slug);
    return true;
  }
}

/** The tenant (and its oidc-provider) that `TenantGuard` resolved for this request. */
export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): TenantProvider => {
  const resolved = context.switchToHttp().getRequest<WithTenant>()[RESOLVED];
  // Only reachable when a controller uses the decorator without the guard: a programming error.
  if (!resolved) throw new Error('@CurrentTenant() used on a route without TenantGuard');
  return resolved;
});
