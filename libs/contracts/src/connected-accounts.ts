import { z } from 'zod';
import { issuerUrl } from './urls.js';

// Connected accounts (issue 17): an `oauth_user` upstream is called with the user's own token at that
// upstream, obtained by the auth server's connect page (authorization code + PKCE + `resource`) and kept
// sealed under the master key. The auth server writes; the gateway reads, refreshes and deletes.

/** Where a user connects their account at `server`: a page of the tenant's auth server. */
export function connectAccountUrl(authBaseUrl: string, tenant: string, server: string): string {
  return `${issuerUrl(authBaseUrl, tenant)}/connect/${encodeURIComponent(server)}`;
}

/** Sealing context of one user's tokens at one upstream: a value copied to another row does not open. */
export function connectedAccountContext(tenantId: string, serverId: string, userId: string): string {
  return `connected-account:${tenantId}:${serverId}:${userId}`;
}

/** Sealing context of the gateway's client registration at an upstream's authorization server. */
export function upstreamOAuthClientContext(tenantId: string, serverId: string): string {
  return `upstream-oauth-client:${tenantId}:${serverId}`;
}

/** Published (JSON `{tenantId, serverId, userId}`) when a connected account is deleted or replaced: gateways drop what they hold. */
export const CONNECTED_ACCOUNT_CHANGED_CHANNEL = 'airlock:connected-account-changed';

/** The sealed JSON of one connected account's tokens. */
export const connectedAccountTokensSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  tokenType: z.string().optional(),
});
export type ConnectedAccountTokens = z.infer<typeof connectedAccountTokensSchema>;

/**
 * The sealed JSON of the gateway's client at an upstream's authorization server: what RFC 9728 and RFC
 * 8414 discovery found, and the client (pre-registered by the admin, or registered by RFC 7591).
 */
export const upstreamOAuthClientSchema = z.object({
  /** The upstream's MCP URL these were discovered for: a changed URL discovers again. */
  resource: z.string(),
  issuer: z.string(),
  authorizationEndpoint: z.string(),
  tokenEndpoint: z.string(),
  revocationEndpoint: z.string().optional(),
  /** RFC 9207: the AS sends `iss` on its authorization responses. */
  issParameterSupported: z.boolean().optional(),
  /** Scopes to ask for: the admin's, else what the protected resource metadata lists. */
  scope: z.string().optional(),
  /** The redirect URI the client was registered with (a changed auth server URL registers again). */
  redirectUri: z.string(),
  clientId: z.string().min(1),
  clientSecret: z.string().optional(),
  tokenEndpointAuthMethod: z.enum(['none', 'client_secret_basic', 'client_secret_post']),
  registration: z.enum(['pre-registered', 'dynamic']),
});
export type UpstreamOAuthClient = z.infer<typeof upstreamOAuthClientSchema>;
