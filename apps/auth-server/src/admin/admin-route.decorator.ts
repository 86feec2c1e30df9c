import { applyDecorators, HttpCode, RequestMapping, RequestMethod, SetMetadata, UseGuards } from '@nestjs/common';
import { adminRouteUrl, type AdminRouteDefinition } from '@airlock/contracts';
import { AdminGuard } from './admin.guard.js';

/** Metadata key under which a handler's route-table entry is kept (for the guard and interceptors). */
export const ADMIN_ROUTE = 'airlock:admin-route';

/**
 * Maps a handler to its entry of the admin route table: method, path and success status come from the
 * table (the same entry the OpenAPI document is generated from), so a handler cannot be routed without one,
 * and every such handler but a `public` one is behind `AdminGuard`.
 */
export function AdminRoute(route: AdminRouteDefinition): MethodDecorator {
  return applyDecorators(
    RequestMapping({ path: adminRouteUrl(route), method: RequestMethod[route.method] }),
    HttpCode(route.status),
    SetMetadata(ADMIN_ROUTE, route),
    ...(route.public ? [] : [UseGuards(AdminGuard)]),
  );
}
