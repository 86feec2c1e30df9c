import { Controller } from '@nestjs/common';
import { adminRoutes } from '@airlock/contracts';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';

/** `GET /admin/v1/me`: the caller as the guard established it (the console shows and enables by its role). */
@Controller()
export class AdminMeController {
  @AdminRoute(adminRoutes.me)
  me(@CurrentAdmin() caller: AdminCaller) {
    return { clientId: caller.clientId, subject: caller.subject, role: caller.role, tenants: caller.tenants === 'all' ? 'all' : [...caller.tenants], breakGlass: caller.breakGlass };
  }
}
