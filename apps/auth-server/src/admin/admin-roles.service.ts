import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AdminPrincipalType, PutRoleAssignmentRequest } from '@airlock/contracts';
import { sealClientMetadata } from '../adapter/client-store.js';
import { AdminTotpService } from '../admin-totp/admin-totp.service.js';
import { ClientRevocationEffects } from '../oidc/client-revocation.service.js';
import { MASTER_KEY } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { TenantResolver } from '../tenants/tenant-resolver.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { UsersService } from '../users/users.service.js';
import { AdminError, isUniqueViolation, notFound } from './admin.errors.js';
import { AdminClientsRepository } from './admin-clients.repository.js';
import { clientView } from './admin-clients.service.js';
import { AdminUsersRepository, type UserFilter, type UserView } from './admin-users.repository.js';
import type { Page } from './admin-paging.js';
import { AdminRolesRepository, UnknownTenantsError, type RoleAssignmentView } from './admin-roles.repository.js';

/**
 * The admin API's own principals: people of the reserved `admin` tenant (created here, disabled here, given
 * a TOTP secret here) and the role each principal, person or automation client, holds.
 */
@Injectable()
export class AdminRolesService {
  constructor(
    private readonly roles: AdminRolesRepository,
    private readonly adminUsers: AdminUsersRepository,
    private readonly adminClients: AdminClientsRepository,
    private readonly users: UsersService,
    private readonly totp: AdminTotpService,
    private readonly resolver: TenantResolver,
    private readonly clientRevocation: ClientRevocationEffects,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
  ) {}

  list(q: string | undefined, limit: number, cursor: string | undefined): Promise<Page<RoleAssignmentView>> {
    return this.roles.list(q, limit, cursor);
  }

  /** The admin people (with or without a role), to find one to grant a role to. */
  async listUsers(filter: UserFilter, limit: number, cursor: string | undefined): Promise<Page<UserView>> {
    return this.adminUsers.list((await this.adminTenant()).id, filter, limit, cursor);
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
    const updated = await this.adminUsers.update(tenant.id, id, { disabled });
    if (!updated) throw notFound('admin user');
    return updated;
  }

  async enrollTotp(id: string): Promise<string> {
    const user = await this.user(await this.adminTenant(), id);
    return this.totp.enroll(user.id, user.email);
  }

  /** A confidential client_credentials client of the admin tenant; its secret is returned this once. */
  async createClient(input: { client_name: string }): Promise<Record<string, unknown>> {
    const tenant = await this.adminTenant();
    const clientId = `adm_${randomBytes(12).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    const metadata = {
      client_id: clientId,
      client_name: input.client_name,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    };
    if (!(await this.adminClients.insert(tenant.id, clientId, sealClientMetadata(this.masterKey, tenant.id, clientId, { ...metadata, client_secret: secret })))) {
      throw new AdminError('conflict', `a client ${clientId} already exists`);
    }
    return { ...metadata, kind: 'admin', client_secret: secret, client_secret_expires_at: 0 };
  }

  /** Disabling revokes every token the client holds (as for any tenant's client) and its role stops applying at once. */
  async setClientDisabled(clientId: string, disabled: boolean): Promise<Record<string, unknown>> {
    const tenant = await this.adminTenant();
    if (!(await this.adminClients.setDisabled(tenant.id, clientId, disabled))) throw notFound('admin client');
    if (disabled) await this.clientRevocation.apply(tenant, clientId, 'client_disabled');
    const row = await this.adminClients.find(tenant.id, clientId);
    if (!row) throw notFound('admin client');
    return clientView(row);
  }

  private async user(tenant: TenantRecord, id: string): Promise<UserView> {
    const user = await this.adminUsers.find(tenant.id, id);
    if (!user) throw notFound('admin user');
    return user;
  }

  private adminTenant(): Promise<TenantRecord> {
    return this.resolver.tenant(ADMIN_TENANT_SLUG);
  }
}
