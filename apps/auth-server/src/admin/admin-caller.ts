import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AdminRole } from '@airlock/contracts';

/** What an admin may do: everything, the named tenants only, or read-only. */
export type { AdminRole };

/** Who called the admin API, as the guard established it (one per request). */
export interface AdminCaller {
  clientId: string;
  /** The token's subject: a person of the `admin` tenant, or the client itself for client_credentials. */
  subject: string;
  role: AdminRole;
  /** The tenants this caller may see: every tenant, or these slugs. */
  tenants: 'all' | readonly string[];
  /** The bootstrap admin client: the break-glass path, recorded as such. */
  breakGlass: boolean;
  requestId: string;
}

type RequestWithCaller = FastifyRequest & { adminCaller?: AdminCaller };

export function attachAdminCaller(request: FastifyRequest, caller: AdminCaller): void {
  (request as RequestWithCaller).adminCaller = caller;
}

/** The caller the admin guard authenticated; only valid on handlers mapped by `@AdminRoute`. */
export const CurrentAdmin = createParamDecorator((_data: unknown, context: ExecutionContext): AdminCaller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().adminCaller;
  if (!caller) throw new Error('CurrentAdmin used on a handler without @AdminRoute');
  return caller;
});
