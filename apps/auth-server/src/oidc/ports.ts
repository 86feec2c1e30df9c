import type Provider from 'oidc-provider';
import type { RegistrationPolicy } from '@airlock/contracts';

// The seams between the protocol core (auth-core: src/oidc, src/adapter, src/keys, src/tenants,
// src/admin) and the user-facing parts (auth-ui: src/interactions, src/account, src/users,
// src/client-metadata, src/registration-policy).
//
// Abstract classes rather than interfaces so they double as NestJS injection tokens:
//   auth-ui modules export `{ provide: AccountStore, useClass: ... }` (and the others) and auth-core's
//   OidcModule imports UsersModule, ClientMetadataModule and RegistrationPolicyModule to get them.
//   InteractionsModule and AccountModule import OidcModule to get TenantProviders, ResourceCatalog and
//   GrantRevoker. Nothing on the auth-ui side may import OidcModule from a module OidcModule imports.

// ---------------------------------------------------------------------------------------------------
// Shared shapes

/** A tenant as the auth server sees it (the `tenants` row, settings parsed). */
export interface TenantRecord {
  id: string;
  slug: string;
  displayName: string;
  registrationPolicy: RegistrationPolicy;
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
  /** `${AUTH_PUBLIC_URL}/t/<slug>` */
  issuer: string;
}

/** What a resource (RFC 8707 audience) the tenant serves looks like to consent and to token issuance. */
export interface ResourceServerDescription {
  /** The resource indicator, exactly as it appears in `aud`. */
  audience: string;
  kind: 'mcp-aggregated' | 'mcp-server' | 'session-store' | 'admin-api';
  /** Upstream server name for `mcp-server` resources. */
  serverName?: string;
  /** Human label for the consent page, e.g. "All MCP tools of Acme" or "github (MCP server)". */
  label: string;
  /** Every scope this resource understands. */
  scopes: string[];
  /** What a request without `scope` gets (the MCP spec allows omitting it). */
  defaultScopes: string[];
}

/** The subset of a user the protocol core needs for `findAccount` and token `sub`. */
export interface AccountProfile {
  /** The `users.id` uuid; becomes `sub`. */
  accountId: string;
  email: string;
  name?: string;
}

// ---------------------------------------------------------------------------------------------------
// Provided by auth-ui, consumed by auth-core

/** Backs oidc-provider's `findAccount` (auth-ui: src/users). */
export abstract class AccountStore {
  /** The enabled user with this id in this tenant, or undefined (disabled users are undefined). */
  abstract findAccount(tenant: TenantRecord, accountId: string): Promise<AccountProfile | undefined>;
}

/**
 * Client ID Metadata Documents (auth-ui: src/client-metadata). The adapter's `find` for model Client calls
 * this when the client_id is an https URL; oidc-provider's own fetcher is disabled (allowFetch: false) so
 * this is the only path to the network.
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

/**
 * Dynamic registration policy (auth-ui: src/registration-policy). Open / initial-access-token / off is
 * the tenant's `registrationPolicy` and auth-core configures oidc-provider from it; this decides the rest.
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

/** Refusals from the auth-ui services; auth-core turns them into the matching OAuth error response. */
export class ClientMetadataError extends Error {
  constructor(
    readonly error: 'invalid_client' | 'invalid_client_metadata' | 'invalid_redirect_uri' | 'rate_limited' | 'access_denied',
    readonly description: string,
  ) {
    super(description);
    this.name = 'ClientMetadataError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Provided by auth-core, consumed by auth-ui

export interface TenantProvider {
  tenant: TenantRecord;
  /** The tenant's oidc-provider instance: interactionDetails / interactionFinished / Grant live here. */
  provider: Provider;
}

/**
 * Per-tenant oidc-provider instances (lazily created, cached, invalidated on tenant changes). The
 * interaction pages are served by Nest controllers at `/t/:tenant/interaction/:uid` (static segments win
 * over the provider's catch-all mount) and call `provider.interactionDetails(req.raw, reply.raw)` etc.
 * The interaction cookies' path is `/t/<slug>/interaction/<uid>`.
 */
export abstract class TenantProviders {
  /** undefined when no such tenant. */
  abstract forTenant(slug: string): Promise<TenantProvider | undefined>;
}

/** The resources (RFC 8707) a tenant serves, for consent pages and default scopes. */
export abstract class ResourceCatalog {
  abstract describe(tenant: TenantRecord, resource: string): Promise<ResourceServerDescription | undefined>;
  /** The resource a request without `resource` is for: the tenant's aggregated MCP URL. */
  abstract defaultResource(tenant: TenantRecord): string;
}

export type GrantRevocationReason = 'user_revoked' | 'token_replayed' | 'admin_revoked' | 'client_deleted' | 'user_deleted' | 'tenant_deleted';

/**
 * Revokes a grant and everything issued from it: oidc-provider artifacts, the consent row (revoked_at),
 * the hot-store revoked marker + GRANT_REVOKED_CHANNEL event, a revoked_grants row, and a job that ends
 * the grant's MCP sessions. Idempotent. The account page calls this.
 */
export abstract class GrantRevoker {
  abstract revoke(tenant: TenantRecord, grantId: string, reason: GrantRevocationReason): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Global injection tokens, provided by AppModule (a @Global module) for every module of the app:
//   @Inject(INFRA) infra: Infra (@airlock/platform: prisma, pg, hot, queues, masterKey)
//   @Inject(AUTH_CONFIG) config: AuthServerConfig (@airlock/config)
//   @Inject(LOGGER) logger: Logger (@airlock/observability)
export const INFRA = Symbol.for('airlock.auth-server.infra');
export const AUTH_CONFIG = Symbol.for('airlock.auth-server.config');
export const LOGGER = Symbol.for('airlock.auth-server.logger');
