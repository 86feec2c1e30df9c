import { applyDecorators, HttpCode, RequestMapping, RequestMethod, SetMetadata, UseGuards } from '@nestjs/common';
import { adminRouteUrl, type AdminRouteDefinition } from '@airlock/contracts';
import { AdminGuard } from './admin.guard.js';
import { ADMIN_ROUTE } from './admin-route.metadata.js';

// Kept here too for its existing importers (the guard imports the metadata module: no import cycle).
export { ADMIN_ROUTE };

/**
 * Maps a handler to its entry of the admin route table: method, path and success status come from the
 * table (the same entry the OpenAPI document is generated from), so a handler cannot be routed without one,
 * and every such handler but a `public` one is behind `AdminGuard` (authentication, then authorization by
 * the route's `{tenant}`, method and `access`).
 */
export function AdminRoute(route: AdminRouteDefinition): MethodDecorator {
  return applyDecorators(
    RequestMapping({ path: adminRouteUrl(route), method: RequestMethod[route.method] }),
    HttpCode(route.status),
    SetMetadata(ADMIN_ROUTE, route),
    ...(route.public ? [] : [UseGuards(AdminGuard)]),
  );
}
