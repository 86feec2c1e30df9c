import { Injectable } from '@nestjs/common';
import type { AdminPrincipalType, PutRoleAssignmentRequest } from '@airlock/contracts';
import { AdminTotpService } from '../admin-totp/admin-totp.service.js';
import type { TenantRecord } from '../oidc/ports.js';
import { TenantResolver } from '../tenants/tenant-resolver.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { UsersService } from '../users/users.service.js';
import { AdminError, isUniqueViolation, notFound } from './admin.errors.js';
import { AdminRepository, type UserView } from './admin.repository.js';
import { AdminRolesRepository, UnknownTenantsError, type RoleAssignmentView } from './admin-roles.repository.js';

/**
 * The admin API's own principals: people of the reserved `admin` tenant (created here, disabled here, given
 * a TOTP secret here) and the role each principal, person or automation client, holds.
 */
@Injectable()
export class AdminRolesService {
  constructor(
    private readonly roles: AdminRolesRepository,
    private readonly repository: AdminRepository,
    private readonly users: UsersService,
    private readonly totp: AdminTotpService,
    private readonly resolver: TenantResolver,
  ) {}

  list(): Promise<RoleAssignmentView[]> {
    return this.roles.list();
  }

  async put(type: AdminPrincipalType, id: string, request: PutRoleAssignmentRequest): Promise<RoleAssignmentView> {
    if (!(await this.roles.principalExists(type, id))) throw notFound(type === 'users' ? 'admin user' : 'admin client');
    try {
      return await this.roles.put(type, id, request.role, request.tenants ?? 'all');
    } catch (error) {
      if (error instanceof UnknownTenantsError) throw new AdminError('invalid_request', `tenants: ${error.message}`);
      throw error;
    }
  }

  async remove(type: AdminPrincipalType, id: string): Promise<void> {
    if (!(await this.roles.remove(type, id))) throw notFound('role assignment');
  }

  async createUser(input: { email: string; password: string; displayName?: string | undefined }): Promise<UserView> {
    const tenant = await this.adminTenant();
    try {
      const created = await this.users.createUser(tenant.id, { email: input.email, password: input.password, ...(input.displayName ? { displayName: input.displayName } : {}) });
      return await this.user(tenant, created.id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AdminError('conflict', 'an admin user with this email already exists');
      throw error;
    }
  }

  /** Disabling takes effect on the person's next admin call (the guard reads it every call) and its refresh tokens stop working. */
  async setUserDisabled(id: string, disabled: boolean): Promise<UserView> {
    const tenant = await this.adminTenant();
    const updated = await this.repository.updateUser(tenant.id, id, { disabled });
    if (!updated) throw notFound('admin user');
    return updated;
  }

  async enrollTotp(id: string): Promise<string> {
    const user = await this.user(await this.adminTenant(), id);
    return this.totp.enroll(user.id, user.email);
  }

  private async user(tenant: TenantRecord, id: string): Promise<UserView> {
    const user = await this.repository.findUser(tenant.id, id);
    if (!user) throw notFound('admin user');
    return user;
  }

  private adminTenant(): Promise<TenantRecord> {
    return this.resolver.tenant(ADMIN_TENANT_SLUG);
  }
}
