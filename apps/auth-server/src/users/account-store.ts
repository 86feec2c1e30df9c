import type { TenantRecord } from '../tenants/tenant-record.js';
import type { GroupAccess } from './group-scopes.js';

/** The subset of a user the protocol core needs for `findAccount` and token `sub`. */
export interface AccountProfile {
  /** The `users.id` uuid; becomes `sub`. */
  accountId: string;
  email: string;
  name?: string;
}

/**
 * Backs oidc-provider's `findAccount`. An abstract class so it doubles as the Nest injection token:
 * UsersModule provides it, OidcModule consumes it.
 */
export abstract class AccountStore {
  /** The enabled user with this id in this tenant, or undefined (disabled users are undefined). */
  abstract findAccount(tenant: TenantRecord, accountId: string): Promise<AccountProfile | undefined>;
  /**
   * The user's groups now (SCIM memberships and the groups identity providers asserted; an access token's
   * `groups` claim) and the scopes the tenant's group mappings govern and allow them (see group-scopes.ts).
   */
  abstract groupAccess(tenant: TenantRecord, accountId: string): Promise<GroupAccess>;
}
