import type { TenantRecord } from '../tenants/tenant-record.js';

export type GrantRevocationReason = 'user_revoked' | 'token_replayed' | 'admin_revoked' | 'client_deleted' | 'user_deleted' | 'tenant_deleted';

/**
 * Revokes a grant and everything issued from it: oidc-provider artifacts, the consent row (revoked_at),
 * the hot-store revoked marker + GRANT_REVOKED_CHANNEL event, a revoked_grants row, and a job that ends
 * the grant's MCP sessions. Idempotent. OidcModule provides it; the account page and admin API call it.
 */
export abstract class GrantRevoker {
  abstract revoke(tenant: TenantRecord, grantId: string, reason: GrantRevocationReason): Promise<void>;
}
