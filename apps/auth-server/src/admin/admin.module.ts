import { Module } from '@nestjs/common';
import { AdminTotpModule } from '../admin-totp/admin-totp.module.js';
import { LoginSessionsModule } from '../login-sessions/login-sessions.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { RegistrationPolicyModule } from '../registration-policy/registration-policy.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminAudit } from './admin-audit.service.js';
import { AdminAuth } from './admin-auth.service.js';
import { AdminGuard } from './admin.guard.js';
import { AdminAuditLogController } from './admin-audit-log.controller.js';
import { AdminAuditLogRepository } from './admin-audit-log.repository.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { AdminSessionsRepository } from './admin-sessions.repository.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminRolesController } from './admin-roles.controller.js';
import { AdminRolesRepository } from './admin-roles.repository.js';
import { AdminRolesService } from './admin-roles.service.js';
import { AdminOpenApiController } from './admin-openapi.controller.js';
import { AdminController } from './admin.controller.js';
import { AdminRepository } from './admin.repository.js';
import { AdminService } from './admin.service.js';
import { UpstreamAddressCheck } from './upstream-address-check.js';

/** The admin API at /admin/v1, and its OpenAPI document. */
@Module({
  imports: [OidcModule, UsersModule, RegistrationPolicyModule, LoginSessionsModule, AdminTotpModule],
  controllers: [AdminController, AdminSessionsController, AdminAuditLogController, AdminRolesController, AdminOpenApiController],
  providers: [AdminAuth, AdminGuard, AdminAudit, AdminRepository, AdminService, UpstreamAddressCheck, AdminSessionsRepository, AdminSessionsService, AdminAuditLogRepository, AdminRolesRepository, AdminRolesService],
})
export class AdminModule {}
