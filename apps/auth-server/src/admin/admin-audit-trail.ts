import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Metadata key of a handler's audit action name (absent: `admin.<operationId>`). */
export const AUDIT_ACTION = 'airlock:admin-audit-action';

/** Names the audit action of a write handler (the audit interceptor records every non-GET admin route). */
export const AuditAction = (action: string): MethodDecorator => SetMetadata(AUDIT_ACTION, action);

/**
 * What a write handler tells the audit record beyond what the interceptor knows from the route: the target
 * when the path does not name it (a created resource), another tenant, the state before and after the change
 * (snapshots without secrets), and other details. One per request; the interceptor records it whatever the
 * outcome.
 */
export class AuditTrail {
  target: string | undefined;
  tenant: string | undefined;
  before: unknown;
  after: unknown;
  readonly details: Record<string, unknown> = {};

  /** Records a change; `undefined` for a side that does not exist (created, deleted). */
  change(before: unknown, after: unknown): void {
    this.before = before;
    this.after = after;
  }
}

type RequestWithTrail = FastifyRequest & { adminAuditTrail?: AuditTrail };

export function attachAuditTrail(request: FastifyRequest, trail: AuditTrail): void {
  (request as RequestWithTrail).adminAuditTrail = trail;
}

/** The request's audit trail; on a GET (not audited) a detached one, so a handler need not care. */
export const Trail = createParamDecorator((_data: unknown, context: ExecutionContext): AuditTrail => {
  return context.switchToHttp().getRequest<RequestWithTrail>().adminAuditTrail ?? new AuditTrail();
});
