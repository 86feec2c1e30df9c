import { HttpException, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import type { AdminRouteDefinition, AuditEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { LOGGER } from '../infra/infra.tokens.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { AdminAudit } from './admin-audit.service.js';
import { attachAuditTrail, AUDIT_ACTION, AuditTrail } from './admin-audit-trail.js';
import type { AdminCaller } from './admin-caller.js';
import { ADMIN_ROUTE } from './admin-route.decorator.js';
import { TenantNotFoundError } from './admin.errors.js';

type AdminRequest = FastifyRequest & { adminCaller?: AdminCaller; params: Record<string, string | undefined> };

/** What a refusal says in the record: a 403 is `denied`, another 4xx `refused`, anything else `failure`. */
export function outcomeOf(error: unknown): { outcome: AuditEvent['outcome']; reason: string } {
  if (error instanceof HttpException && error.getStatus() < 500) {
    const body = error.getResponse();
    const reason = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : String(error.getStatus());
    return { outcome: error.getStatus() === 403 ? 'denied' : 'refused', reason };
  }
  return { outcome: 'failure', reason: 'server_error' };
}

/**
 * The one place admin writes are audited: every non-GET route of the admin route table (read from the
 * `@AdminRoute` metadata, so no write can be left out) is recorded after its handler ran, with the actor
 * (client, subject, role, break-glass), the tenant, the action, the target, the outcome, and the before and
 * after snapshots the handler put in its `AuditTrail`. Refused writes are recorded too. Runs after the
 * guard, which records its own refusals of an authenticated admin (role or tenant set); a caller without a
 * valid admin token is no admin, and the auth layer logs it.
 */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AdminAudit,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<AdminRouteDefinition | undefined>(ADMIN_ROUTE, context.getHandler());
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const caller = request.adminCaller;
    if (!route || route.method === 'GET' || !caller) return next.handle();
    const trail = new AuditTrail();
    attachAuditTrail(request, trail);
    const action = auditActionOf(this.reflector, context, route);
    const record = (outcome: AuditEvent['outcome'], extra: Record<string, unknown>, tenantGone = false) =>
      this.audit.record({
        caller,
        // A tenant that does not exist has no audit log: the platform tenant keeps the record.
        tenant: tenantGone ? ADMIN_TENANT_SLUG : (trail.tenant ?? request.params['tenant'] ?? ADMIN_TENANT_SLUG),
        action,
        target: trail.target ?? defaultTarget(route, request.params),
        outcome,
        details: {
          ...(tenantGone || (trail.tenant && request.params['tenant'] && trail.tenant !== request.params['tenant']) ? { tenant: request.params['tenant'] } : {}),
          ...trail.details,
          ...(trail.before !== undefined ? { before: trail.before } : {}),
          ...(trail.after !== undefined ? { after: trail.after } : {}),
          ...extra,
        },
      });
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        await record('success', {});
        return value;
      }),
      catchError((error: unknown) => {
        const { outcome, reason } = outcomeOf(error);
        return from(
          record(outcome, { reason }, error instanceof TenantNotFoundError).catch((auditError: unknown) => {
            this.logger.error({ err: auditError, action }, 'a refused admin write was not audited');
          }),
        ).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}

/** The action name of a route in the audit log: its `@AuditAction`, else `admin.<operationId>`. */
export function auditActionOf(reflector: Reflector, context: ExecutionContext, route: AdminRouteDefinition): string {
  return reflector.get<string | undefined>(AUDIT_ACTION, context.getHandler()) ?? `admin.${route.operationId}`;
}

/** The resource the path names below its tenant (`github/list_issues`), or the tenant itself. */
export function defaultTarget(route: AdminRouteDefinition, params: Record<string, string | undefined>): string | undefined {
  const names = Object.keys(route.params?.shape ?? {}).filter((name) => name !== 'tenant');
  if (names.length === 0) return params['tenant'];
  return names.map((name) => params[name] ?? '').join('/');
}
