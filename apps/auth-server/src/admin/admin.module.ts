import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AdminTotpModule } from '../admin-totp/admin-totp.module.js';
import { LoginSessionsModule } from '../login-sessions/login-sessions.module.js';
import { OidcModule } from '../oidc/oidc.module.js';
import { RegistrationPolicyModule } from '../registration-policy/registration-policy.module.js';
import { ScimModule } from '../scim/scim.module.js';
import { SignOutModule } from '../sign-out/sign-out.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminAudit } from './admin-audit.service.js';
import { AdminAuditInterceptor } from './admin-audit.interceptor.js';
import { AdminAuth } from './admin-auth.service.js';
import { AdminGuard } from './admin.guard.js';
import { AdminAuditLogController } from './admin-audit-log.controller.js';
import { AdminAuditLogRepository } from './admin-audit-log.repository.js';
import { AdminCallPolicyController } from './admin-call-policy.controller.js';
import { AdminCallPolicyRepository } from './admin-call-policy.repository.js';
import { AdminCallPolicyService } from './admin-call-policy.service.js';
import { AdminClientsController } from './admin-clients.controller.js';
import { AdminClientsRepository } from './admin-clients.repository.js';
import { AdminClientsService } from './admin-clients.service.js';
import { AdminGrantsRepository } from './admin-grants.repository.js';
import { AdminGrantsService } from './admin-grants.service.js';
import { AdminMeController } from './admin-me.controller.js';
import { AdminMetricsController } from './admin-metrics.controller.js';
import { AdminMetricsRepository } from './admin-metrics.repository.js';
import { AdminMetricsService } from './admin-metrics.service.js';
import { AdminOpenApiController } from './admin-openapi.controller.js';
import { AdminServersController } from './admin-servers.controller.js';
import { AdminServersRepository } from './admin-servers.repository.js';
import { AdminServersService } from './admin-servers.service.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { AdminSessionsRepository } from './admin-sessions.repository.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminTenantsController } from './admin-tenants.controller.js';
import { AdminTenantsRepository } from './admin-tenants.repository.js';
import { AdminTenantsService } from './admin-tenants.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersRepository } from './admin-users.repository.js';
import { AdminUsersService } from './admin-users.service.js';
import { ClientLastUseRecorder } from './client-last-use.recorder.js';
import { ManagedTenants } from './managed-tenants.service.js';
import { AdminScimTokensController } from './admin-scim-tokens.controller.js';
import { AdminRolesController } from './admin-roles.controller.js';
import { AdminRolesRepository } from './admin-roles.repository.js';
import { AdminRolesService } from './admin-roles.service.js';
import { UpstreamAddressCheck } from './upstream-address-check.js';
import { UpstreamTestRequester } from './upstream-test.requester.js';
import { AdminIdJagController } from './admin-id-jag.controller.js';
import { AdminIdJagService } from './admin-id-jag.service.js';
import { AdminIdentityProvidersController } from './admin-identity-providers.controller.js';
import { AdminIdentityProvidersRepository } from './admin-identity-providers.repository.js';
import { AdminIdentityProvidersService } from './admin-identity-providers.service.js';
import { IdJagModule } from '../id-jag/id-jag.module.js';

/**
 * The admin API at /admin/v1, one controller, service and repository per resource, and its OpenAPI
 * document. One guard (on every route by `@AdminRoute`) and one audit interceptor (every write).
 */
@Module({
  imports: [OidcModule, UsersModule, RegistrationPolicyModule, LoginSessionsModule, AdminTotpModule, SignOutModule, ScimModule, IdJagModule],
  controllers: [
    AdminTenantsController,
    AdminUsersController,
    AdminClientsController,
    AdminServersController,
    AdminSessionsController,
    AdminAuditLogController,
    AdminCallPolicyController,
    AdminRolesController,
    AdminOpenApiController,
    AdminMeController,
    AdminMetricsController,
    AdminIdJagController,
    AdminScimTokensController,
    AdminIdentityProvidersController,
  ],
  providers: [
    AdminAuth,
    AdminGuard,
    AdminAudit,
    { provide: APP_INTERCEPTOR, useClass: AdminAuditInterceptor },
    ManagedTenants,
    AdminTenantsRepository,
    AdminTenantsService,
    AdminUsersRepository,
    AdminUsersService,
    AdminGrantsRepository,
    AdminGrantsService,
    AdminClientsRepository,
    AdminClientsService,
    ClientLastUseRecorder,
    AdminServersRepository,
    AdminServersService,
    UpstreamAddressCheck,
    UpstreamTestRequester,
    AdminSessionsRepository,
    AdminSessionsService,
    AdminAuditLogRepository,
    AdminCallPolicyRepository,
    AdminCallPolicyService,
    AdminRolesRepository,
    AdminRolesService,
    AdminMetricsRepository,
    AdminMetricsService,
    AdminIdJagService,
    AdminIdentityProvidersRepository,
    AdminIdentityProvidersService,
  ],
})
export class AdminModule {}
