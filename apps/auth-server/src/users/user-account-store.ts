import { Injectable } from '@nestjs/common';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { type AccountProfile, AccountStore } from './account-store.js';
import type { GroupAccess } from './group-scopes.js';
import { UserRepository } from './user.repository.js';

/** oidc-provider's `findAccount`, backed by the users table. */
@Injectable()
export class UserAccountStore extends AccountStore {
  constructor(private readonly users: UserRepository) {
    super();
  }

  override async findAccount(tenant: TenantRecord, accountId: string): Promise<AccountProfile | undefined> {
    const user = await this.users.findById(tenant.id, accountId);
    if (!user || user.disabledAt) return undefined;
    return { accountId: user.id, email: user.email, ...(user.displayName ? { name: user.displayName } : {}) };
  }

  override groupAccess(tenant: TenantRecord, accountId: string): Promise<GroupAccess> {
    return this.users.groupAccess(tenant.id, accountId);
  }
}
