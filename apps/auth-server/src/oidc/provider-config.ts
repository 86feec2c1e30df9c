import { createHmac } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type ClientMetadata, type JWK } from 'oidc-provider';
import { CLIENT_CREDENTIALS_GRANT_PREFIX, Scopes } from '@airlock/contracts';
import type { AdapterFactory } from 'oidc-provider';
import { loggedOutPage, logoutPage } from '../interactions/logout-views.js';
import { PAGE_HEADERS } from '../interactions/page-headers.js';
import type { ResourceCatalog } from './resource-catalog.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import type { AccountStore } from '../users/account-store.js';
import { withinGroupScopes, type GroupAccess } from '../users/group-scopes.js';

/** RFC 8693 grant type (registered on each provider by the token-exchange module). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export interface ProviderConfigDeps {
  tenant: TenantRecord;
  /** Private JWKs in signing order. */
  jwks: JWK[];
  adapter: AdapterFactory;
  accounts: AccountStore;
  resources: ResourceCatalog;
  /** Clients that exist without registration (service clients, the bootstrap admin client). */
  staticClients: ClientMetadata[];
  /** Service clients and the resource their client_credentials tokens are for by default. */
  serviceClients: ReadonlyMap<string, string>;
  masterKey: Buffer;
  refreshTokenTtlSeconds?: number;
  /** How long a browser stays signed in without coming back (LOGIN_SESSION_MAX_SECONDS; renewed on every save). */
  browserSessionSeconds: number;
}

const DAY = 24 * 60 * 60;

function cookieKey(masterKey: Buffer, tenant: string): string {
  return createHmac('sha256', masterKey).update(`oidc-cookies:${tenant}`).digest('base64url');
}

/**
 * The OAuth 2.1 profile for MCP, per tenant: code flow only with PKCE S256 for every client, no implicit or
 * password grant; client_credentials for service clients; RFC 8707 resource indicators bound to exactly
 * one resource the tenant serves, with RFC 9068 JWT access tokens carrying `grant_id`; refresh tokens
 * rotated for public clients; RFC 9207 `iss`; introspection, revocation, RFC 7591/7592 registration
 * per the tenant's policy; Client ID Metadata Documents through the adapter.
 */
export function buildProviderConfiguration(deps: ProviderConfigDeps): Configuration {
  const { tenant, resources } = deps;
  const isService = (clientId: string | undefined) => clientId !== undefined && deps.serviceClients.has(clientId);
  // One read of a user's groups per token request: the resource's scopes and the `groups` claim share it.
  const accessByRequest = new WeakMap<object, Map<string, Promise<GroupAccess>>>();
  const groupAccess = (ctx: KoaContextWithOIDC, accountId: string): Promise<GroupAccess> => {
    let byAccount = accessByRequest.get(ctx);
    if (!byAccount) accessByRequest.set(ctx, (byAccount = new Map()));
    let access = byAccount.get(accountId);
    if (!access) byAccount.set(accountId, (access = deps.accounts.groupAccess(tenant, accountId)));
    return access;
  };

  return {
    adapter: deps.adapter,
    clients: deps.staticClients,
    jwks: { keys: deps.jwks },
    findAccount: async (_ctx, sub) => {
      const account = await deps.accounts.findAccount(tenant, sub);
      if (!account) return undefined;
      return {
        accountId: account.accountId,
        claims: () => ({ sub: account.accountId, email: account.email, ...(account.name ? { name: account.name } : {}) }),
      };
    },
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    scopes: ['openid', Scopes.offlineAccess],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: {
      // ES256 first: it is what tokens are signed with unless a resource asks otherwise.
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      authorizationSigningAlgValues: ['ES256', 'RS256'],
    },
    interactions: {
      url: (_ctx, interaction) => `/t/${tenant.slug}/interaction/${interaction.uid}`,
    },
    cookies: {
      names: { session: 'airlock_session', interaction: 'airlock_interaction', resume: 'airlock_resume' },
      keys: [cookieKey(deps.masterKey, tenant.slug)],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? tenant.accessTokenTtl,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? tenant.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: deps.browserSessionSeconds,
      Grant: deps.refreshTokenTtlSeconds ?? 30 * DAY,
      RefreshToken: deps.refreshTokenTtlSeconds ?? 30 * DAY,
      RegistrationAccessToken: 365 * DAY,
    },
    // Rotation on every use for public clients (RFC 9700 4.14.2); confidential ones authenticate anyway.
    rotateRefreshToken: (ctx) => ctx.oidc.client?.clientAuthMethod === 'none',
    // MCP clients need refresh tokens without having to know about offline_access.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.kind === 'AuthorizationCode',
    expiresWithSession: async () => false,
    // Keeps what the token already carries (token exchange sets `act`); oidc-provider replaces `extra` with this.
    // User tokens also carry `groups` (read at issuance, with the group mappings: see getResourceServerInfo).
    // A client_credentials token has no Grant: `cc.<jti>` gives it a grant id of its own, so revoking it
    // (RFC 7009) takes the same path to every resource server as revoking a user's grant.
    extraTokenClaims: async (ctx, token) => {
      if (token.kind === 'AccessToken' && token.grantId) {
        // The user's groups as they are now: a group change takes effect at the next token (call policies read them).
        const groups = token.accountId ? (await groupAccess(ctx, token.accountId)).groups : [];
        return { ...(token.extra ?? {}), grant_id: token.grantId, ...(groups.length > 0 ? { groups } : {}) };
      }
      if (token.kind === 'ClientCredentials' && token.jti) return { ...(token.extra ?? {}), grant_id: `${CLIENT_CREDENTIALS_GRANT_PREFIX}${token.jti}` };
      return undefined;
    },
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.set(PAGE_HEADERS);
          ctx.type = 'html';
          ctx.body = logoutPage({ tenantName: tenant.displayName, form });
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.set(PAGE_HEADERS);
          ctx.type = 'html';
          ctx.body = loggedOutPage({ tenantName: tenant.displayName, clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId });
        },
      },
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Confidential clients (resource servers) may introspect any token of the tenant; a public client
        // only its own.
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: { enabled: true },
      registration: {
        enabled: tenant.registrationPolicy !== 'off',
        initialAccessToken: tenant.registrationPolicy === 'initial_access_token',
        idFactory: () => `dyn_${crypto.randomUUID().replaceAll('-', '')}`,
      },
      registrationManagement: { enabled: tenant.registrationPolicy !== 'off', rotateRegistrationAccessToken: true },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        // The adapter resolves https client ids through the SSRF-safe ClientMetadataResolver; if it found
        // nothing, oidc-provider's own fetcher must not try.
        allowFetch: async () => false,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, client, oneOf) => oneOf ?? deps.serviceClients.get(client.clientId) ?? resources.defaultResource(tenant),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator, client) => {
          const resource = await resources.describe(tenant, indicator);
          if (!resource) throw new errors.InvalidTarget('the resource is not served by this tenant');
          // MCP resources are for end-user grants; the session store for service clients. The admin API
          // (only the admin tenant serves it) is for its people and automation clients alike, which it
          // authorizes by role; never for a metadata-document client, which nobody vouched for.
          const serviceResource = resource.kind === 'session-store' || resource.kind === 'admin-api';
          const adminApiCaller = resource.kind === 'admin-api' && !/^https:/i.test(client.clientId);
          if (!adminApiCaller && serviceResource !== isService(client.clientId)) {
            throw new errors.InvalidTarget('this client may not request tokens for this resource');
          }
          // Group mappings (users/group-scopes.ts): a user's token for an MCP resource gets a governed scope
          // only while one of the user's groups maps to it. The user is known at the token endpoint (code and
          // refresh: the Account entity) and when an authorization request resumes after sign-in (the
          // session), so consent never offers such a scope and every token, refreshes included, re-reads them.
          const accountId = serviceResource ? undefined : (ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId);
          const scopes = serviceResource ? resource.defaultScopes : resource.scopes;
          return {
            // A service client gets at most its resource's default scopes (the gateway never sessions:admin).
            scope: (accountId ? withinGroupScopes(scopes, await groupAccess(ctx, accountId)) : scopes).join(' '),
            audience: resource.audience,
            accessTokenTTL: tenant.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const escape = (value: unknown) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Something went wrong</h1><p><strong>${escape(out.error)}</strong>: ${escape(out.error_description)}</p></main></body></html>`;
    },
  };
}

/** Builds the provider; the scheme it sees comes from X-Forwarded-Proto, which oidc-mount.ts sets to the issuer's. */
export function createProvider(deps: ProviderConfigDeps): Provider {
  const provider = new Provider(deps.tenant.issuer, buildProviderConfiguration(deps));
  provider.proxy = true;
  return provider;
}

export type { KoaContextWithOIDC };
