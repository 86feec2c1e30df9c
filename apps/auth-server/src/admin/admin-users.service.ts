import { Injectable } from '@nestjs/common';
import type { CreateUserRequest, UpdateUserRequest } from '@airlock/contracts';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { UserSignOut, type UserSignOutReason } from '../sign-out/user-sign-out.service.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UsersService } from '../users/users.service.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError, isUniqueViolation, notFound } from './admin.errors.js';
import type { Page } from './admin-paging.js';
import { AdminUsersRepository, type UserFilter, type UserView } from './admin-users.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';

/** What "sign out everywhere" ended. */
export interface SignOutResult {
  grantsRevoked: number;
  /** Sessions the session store ended now; null when only queued (disable, delete: retried until it answers). */
  sessionsEnded: number | null;
}

/** Users of a tenant: search, create, change, disable, delete, reset sign-in, sign out everywhere. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly repository: AdminUsersRepository,
    private readonly managed: ManagedTenants,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly signOut: UserSignOut,
  ) {}

  async list(slug: string, filter: UserFilter, limit: number, cursor: string | undefined): Promise<Page<UserView>> {
    return this.repository.list((await this.managed.get(slug)).id, filter, limit, cursor);
  }

  async get(slug: string, id: string): Promise<UserView> {
    return this.existing(await this.managed.get(slug), id);
  }

  async create(slug: string, input: CreateUserRequest, trail: AuditTrail): Promise<UserView> {
    const tenant = await this.managed.get(slug);
    try {
      const created = await this.users.createUser(tenant.id, input);
      trail.target = created.id;
      const user = await this.existing(tenant, created.id);
      trail.change(undefined, user);
      return user;
    } catch (error) {
      if (isUniqueViolation(error)) throw new AdminError('conflict', 'a user with this email already exists');
      throw error;
    }
  }

  async update(slug: string, id: string, patch: UpdateUserRequest, trail: AuditTrail): Promise<UserView> {
    const tenant = await this.managed.get(slug);
    const before = await this.existing(tenant, id);
    const passwordHash = patch.password ? await this.hasher.hash(patch.password) : undefined;
    const updated = await this.repository.update(tenant.id, id, { displayName: patch.displayName, passwordHash, disabled: patch.disabled });
    if (!updated) throw notFound('user');
    trail.details['changed'] = Object.keys(patch);
    trail.change(before, updated);
    // A disabled user is signed out now, not when their tokens and sessions expire.
    if (patch.disabled === true && !before.disabled) trail.details['signedOut'] = await this.endEverything(tenant, id, 'admin_revoked', false);
    return updated;
  }

  async delete(slug: string, id: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.existing(tenant, id);
    trail.details['signedOut'] = await this.endEverything(tenant, id, 'user_deleted', false);
    await this.repository.delete(tenant.id, id);
    trail.change(before, undefined);
  }

  /** Clears the password (no password signs in until an admin sets one) and signs the user out everywhere. */
  async resetSignIn(slug: string, id: string, trail: AuditTrail): Promise<UserView> {
    const tenant = await this.managed.get(slug);
    const before = await this.existing(tenant, id);
    const after = await this.repository.clearPassword(tenant.id, id);
    if (!after) throw notFound('user');
    trail.details['signedOut'] = await this.endEverything(tenant, id, 'admin_revoked', true);
    trail.change(before, after);
    return after;
  }

  async signOutEverywhere(slug: string, id: string, trail: AuditTrail): Promise<SignOutResult> {
    const tenant = await this.managed.get(slug);
    await this.existing(tenant, id);
    const result = await this.endEverything(tenant, id, 'admin_revoked', true);
    trail.details['signedOut'] = result;
    return result;
  }

  /** Ends all a user holds (UserSignOut); with `now` the session store is asked at once and must answer. */
  private async endEverything(tenant: TenantRecord, id: string, reason: UserSignOutReason, now: boolean): Promise<SignOutResult> {
    const { grantsRevoked, sessionsEnded, sessionStoreUnavailable } = await this.signOut.everywhere(tenant, id, reason, { now });
    if (sessionStoreUnavailable) throw new AdminError('temporarily_unavailable', 'the session store cannot end sessions right now; the sign-out is queued, retry to confirm');
    return { grantsRevoked, sessionsEnded };
  }

  private async existing(tenant: TenantRecord, id: string): Promise<UserView> {
    const user = await this.repository.find(tenant.id, id);
    if (!user) throw notFound('user');
    return user;
  }
}
