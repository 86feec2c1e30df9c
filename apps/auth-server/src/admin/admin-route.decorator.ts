import { applyDecorators, HttpCode, RequestMapping, RequestMethod } from '@nestjs/common';
import { adminRouteUrl, type AdminRouteDefinition } from '@airlock/contracts';

/**
 * Maps a handler to its entry of the admin route table: method, path and success status come from the
 * table (the same entry the OpenAPI document is generated from), so a handler cannot be routed without one.
 */
export function AdminRoute(route: AdminRouteDefinition): MethodDecorator {
  return applyDecorators(RequestMapping({ path: adminRouteUrl(route), method: RequestMethod[route.method] }), HttpCode(route.status));
}
