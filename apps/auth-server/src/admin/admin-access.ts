import { adminRouteAccess, type AdminRouteDefinition } from '@airlock/contracts';
import type { AdminCaller } from './admin-caller.js';
import { AdminError, notFound } from './admin.errors.js';

/** Whether the caller may see this tenant at all. */
export function canSeeTenant(caller: Pick<AdminCaller, 'tenants'>, slug: string): boolean {
  return caller.tenants === 'all' || caller.tenants.includes(slug);
}

/** The tenants a listing may show the caller: all (undefined), or only these slugs. */
export function visibleTenants(caller: Pick<AdminCaller, 'tenants'>): readonly string[] | undefined {
  return caller.tenants === 'all' ? undefined : caller.tenants;
}

/**
 * Authorizes one admin API call from its route-table entry alone, so a new route is covered the moment it
 * is added. In this order:
 * 1. A route with `{tenant}` and a tenant outside the caller's set: 404 with exactly the body an unknown
 *    tenant gets, so a tenant admin cannot even learn which other tenants exist (never 403).
 * 2. Platform admins may do everything else.
 * 3. `access: 'platform'`, and by default every route without `{tenant}`: platform admins only;
 *    `access: 'platform-read'`: also auditors of every tenant.
 * 4. Auditors read (GET) only.
 * The OpenAPI document states the same per operation (`x-airlock-roles`, from `adminRouteRoles`).
 */
export function authorizeAdminCall(route: AdminRouteDefinition, caller: AdminCaller, params: Readonly<Record<string, string | undefined>>): void {
  if (route.path.includes('{tenant}') && !canSeeTenant(caller, params['tenant'] ?? '')) throw notFound('tenant');
  if (caller.role === 'platform-admin') return;
  const access = adminRouteAccess(route);
  if (access === 'platform' || (access === 'platform-read' && !(caller.role === 'auditor' && caller.tenants === 'all'))) {
    throw new AdminError('insufficient_role', `this operation is for platform admins${access === 'platform-read' ? ' and auditors of every tenant' : ''}; the caller is a ${caller.role}`);
  }
  if (caller.role === 'auditor' && route.method !== 'GET') throw new AdminError('insufficient_role', 'an auditor may only read');
}
