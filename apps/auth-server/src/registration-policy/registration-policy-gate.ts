import type { TenantRecord } from '../tenants/tenant-record.js';

/**
 * Dynamic registration policy. Open / initial-access-token / off is the tenant's `registrationPolicy`
 * and the OIDC layer configures oidc-provider from it; this decides the rest. An abstract class so it
 * doubles as the Nest injection token (RegistrationPolicyModule provides it).
 */
export abstract class RegistrationPolicyGate {
  /** Before POST /reg is handled: rate limits per IP and tenant. Throws ClientMetadataError('rate_limited' ...). */
  abstract admit(tenant: TenantRecord, request: { ip: string }): Promise<void>;
  /**
   * Validates client metadata on DCR create/update (RFC 7591/7592) and on admin-created clients:
   * redirect URI hygiene (exact, https or loopback http, private-use schemes with a dot, no javascript:/
   * data:/file:, fragments, wildcards), size limits. Throws ClientMetadataError('invalid_redirect_uri' |
   * 'invalid_client_metadata', ...).
   */
  abstract validate(tenant: TenantRecord, metadata: Record<string, unknown>, source: 'dynamic' | 'admin'): Promise<void>;
}
