import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { AuthServerConfig } from '@airlock/config';
import { ACCESS_TOKEN_JWT_TYPE, CLIENT_CREDENTIALS_GRANT_PREFIX, issuerUrl, parseScope, revokedGrantKey, Scopes } from '@airlock/contracts';
import { assertNoAccessTokenInQuery, bearerFromAuthorizationHeader, challengeForTokenError, TokenError } from '@airlock/token-verifier';
import type { HotStore } from '@airlock/redis';
import { isClientTokenRevoked } from '../oidc/client-revocation.service.js';
import { AUTH_CONFIG, HOT_STORE } from '../infra/infra.tokens.js';
import { adminApiAudience } from '../oidc/resource-catalog.service.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import type { AdminCaller } from './admin-caller.js';
import { AdminError } from './admin.errors.js';
import { AdminRolesRepository, type ResolvedAdminRole } from './admin-roles.repository.js';


/**
 * Bearer authentication for `/admin/v1` (RFC 6750): an RFC 9068 access token from the `admin` tenant's
 * issuer, for the admin API audience, with the `admin` scope. Verified locally against the admin tenant's
 * keys. A missing or bad token is 401 with a `WWW-Authenticate` challenge; a good token without the scope
 * is 403 `insufficient_scope`. A revoked token (RFC 7009, its grant marked revoked) or one of a revoked
 * client is 401 at once: two hot-store reads per call, so there is no propagation delay here.
 *
 * Then the role: the bootstrap admin client is always a platform admin (break-glass, recorded as such);
 * any other token's principal (the client of a client_credentials token, else the person) is looked up in
 * Postgres on every call, so a removed role, a disabled person or client is refused on its next call. A
 * principal without a role is 403 `access_denied`.
 */
// One key set per published JWKS (a new object after a rotation): jose imports each key once per key set,
// so building one per call would import the admin tenant's keys on every admin API request.
const keySets = new WeakMap<JSONWebKeySet, ReturnType<typeof createLocalJWKSet>>();
function keySetOf(jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  let keySet = keySets.get(jwks);
  if (!keySet) keySets.set(jwks, (keySet = createLocalJWKSet(jwks)));
  return keySet;
}

@Injectable()
export class AdminAuth {
  constructor(
    private readonly registry: OidcProviderRegistry,
    private readonly roles: AdminRolesRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
    @Inject(HOT_STORE) private readonly hot: HotStore,
  ) {}

  async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<AdminCaller> {
    try {
      assertNoAccessTokenInQuery(request.url);
      const token = bearerFromAuthorizationHeader(request.headers.authorization);
      if (!token) throw new TokenError('invalid_token', 'an access token is required');
      const claims = await this.verify(token);
      await this.assertNotRevoked(claims);
      if (!parseScope(typeof claims['scope'] === 'string' ? claims['scope'] : undefined).has(Scopes.admin)) {
        throw new TokenError('insufficient_scope', 'the admin API needs the admin scope', { requiredScopes: [Scopes.admin] });
      }
      const clientId = String(claims['client_id'] ?? '');
      const subject = String(claims.sub ?? '');
      const breakGlass = clientId !== '' && clientId === this.registry.adminClient?.clientId;
      const role = breakGlass ? ({ role: 'platform-admin', tenants: 'all' } as const) : await this.roleOf(claims, clientId, subject);
      if (!role) throw new AdminError('access_denied', 'the caller holds no admin role');
      return { clientId, subject, role: role.role, tenants: role.tenants, breakGlass, requestId: String(request.id) };
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const hadToken = Boolean(request.headers.authorization);
      void reply.header('www-authenticate', challengeForTokenError(hadToken ? error : undefined, { scope: [Scopes.admin] }));
      throw new HttpException({ error: error.code, error_description: error.description }, error.status);
    }
  }

  /** A client_credentials token acts as its client; any other as the signed-in person. */
  private roleOf(claims: JWTPayload, clientId: string, subject: string): Promise<ResolvedAdminRole | undefined> {
    const grantId = claims['grant_id'];
    const asClient = typeof grantId === 'string' && grantId.startsWith(CLIENT_CREDENTIALS_GRANT_PREFIX);
    return asClient ? this.roles.forClient(clientId) : this.roles.forUser(subject);
  }

  private async assertNotRevoked(claims: JWTPayload): Promise<void> {
    const grantId = claims['grant_id'];
    const clientId = claims['client_id'];
    const [grantRevoked, clientRevoked] = await Promise.all([
      typeof grantId === 'string' ? this.hot.get(revokedGrantKey(ADMIN_TENANT_SLUG, grantId)).then((marker) => marker !== null) : false,
      typeof clientId === 'string' ? isClientTokenRevoked(this.hot, ADMIN_TENANT_SLUG, clientId, claims.iat ?? 0) : false,
    ]);
    if (grantRevoked || clientRevoked) throw new TokenError('invalid_token', 'the access token has been revoked');
  }

  private async verify(token: string): Promise<JWTPayload> {
    const jwks = await this.registry.publicJwks(ADMIN_TENANT_SLUG);
    if (!jwks) throw new TokenError('invalid_token', 'the access token is invalid');
    try {
      const { payload } = await jwtVerify(token, keySetOf(jwks), {
        issuer: issuerUrl(this.config.publicUrl, ADMIN_TENANT_SLUG),
        audience: adminApiAudience(this.config.publicUrl),
        typ: ACCESS_TOKEN_JWT_TYPE,
        algorithms: ['ES256', 'RS256'],
      });
      return payload;
    } catch {
      throw new TokenError('invalid_token', 'the access token is invalid or expired');
    }
  }
}
