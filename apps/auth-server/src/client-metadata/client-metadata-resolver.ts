import type { TenantRecord } from '../tenants/tenant-record.js';

/**
 * Client ID Metadata Documents. The adapter's `find` for model Client calls this when the client_id is
 * an https URL; oidc-provider's own fetcher is disabled (allowFetch: false) so this is the only path to
 * the network. An abstract class so it doubles as the Nest injection token (ClientMetadataModule
 * provides it, OidcModule consumes it).
 */
export abstract class ClientMetadataResolver {
  /**
   * Fetches (SSRF-safe, size/time limited, cached per cache headers) and validates the document:
   * `client_id` equals the URL, redirect URIs pass hygiene, `token_endpoint_auth_method` is `none`
   * (or `private_key_jwt` with `jwks_uri`), no `client_secret`. Returns RFC 7591 client metadata in
   * snake_case (including `client_id`), ready for oidc-provider. Throws ClientMetadataError on refusal.
   */
  abstract resolve(tenant: TenantRecord, clientIdUrl: string): Promise<Record<string, unknown>>;
}

/** Refusals from client metadata and registration policy; the OIDC layer turns them into the matching OAuth error response. */
export class ClientMetadataError extends Error {
  constructor(
    readonly error: 'invalid_client' | 'invalid_client_metadata' | 'invalid_redirect_uri' | 'rate_limited' | 'access_denied',
    readonly description: string,
  ) {
    super(description);
    this.name = 'ClientMetadataError';
  }
}
