import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { ACCESS_TOKEN_JWT_TYPE, CLIENT_CREDENTIALS_GRANT_PREFIX, revokedGrantKey } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { isClientTokenRevoked } from './client-revocation.service.js';
import type { TenantRecord } from '../tenants/tenant-record.js';

export interface JwtTokenEndpointsDeps {
  provider: Provider;
  tenant: TenantRecord;
  /** The tenant's public signing keys (what /jwks publishes). */
  publicJwks: JSONWebKeySet;
  hot: HotStore;
  /** Revokes a grant with every side effect (resource servers learn of it through the revoked-grant marker). */
  revokeGrant(grantId: string): Promise<void>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** What /jwks publishes: the public members of each signing key. */
export function publicJwksOf(privateJwks: ReadonlyArray<object>): JSONWebKeySet {
  return { keys: privateJwks.map((jwk) => Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name)))) } as JSONWebKeySet;
}

function bodyError(ctx: KoaContextWithOIDC): string | undefined {
  const body = ctx.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' ? (body['error'] as string | undefined) : undefined;
}

/**
 * oidc-provider refuses to introspect or revoke its own JWT access tokens (`unsupported_token_type`), yet
 * every access token here is a JWT (RFC 9068). After oidc-provider has authenticated the client and
 * refused, this answers instead. oidc-provider keeps no record of a JWT, so a token is live when it
 * verifies against this tenant's keys and issuer, is unexpired, and its grant still exists and is not
 * marked revoked. Introspection follows oidc-provider's own rules (a confidential client sees any token
 * of the tenant, a public client only its own); revoking a JWT, which resource servers verify locally,
 * revokes its grant so they stop honouring it too.
 */
export function jwtTokenEndpointsMiddleware(deps: JwtTokenEndpointsDeps) {
  const keys = createLocalJWKSet(deps.publicJwks);

  /** The verified claims of a live access token of this tenant, or undefined. */
  async function liveToken(value: unknown): Promise<JWTPayload | undefined> {
    if (typeof value !== 'string') return undefined;
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(value, keys, { issuer: deps.tenant.issuer, typ: ACCESS_TOKEN_JWT_TYPE }));
    } catch {
      return undefined;
    }
    const grantId = claims['grant_id'];
    const clientId = claims['client_id'];
    // A deleted or disabled client's tokens die with it, client_credentials ones included.
    if (typeof clientId === 'string' && typeof claims.iat === 'number' && (await isClientTokenRevoked(deps.hot, deps.tenant.slug, clientId, claims.iat))) return undefined;
    // A client_credentials token's grant id is its own (`cc.<jti>`): there is no Grant, only the revoked marker.
    const ownGrant = typeof grantId === 'string' && grantId === `${CLIENT_CREDENTIALS_GRANT_PREFIX}${String(claims.jti)}` && claims['act'] === undefined;
    if (ownGrant) {
      if (await deps.hot.get(revokedGrantKey(deps.tenant.slug, grantId))) return undefined;
    } else if (typeof grantId === 'string') {
      // Replay, reuse and user revocation all destroy the grant: its JWTs die with it.
      const grant = await deps.provider.Grant.find(grantId);
      // An exchanged token (RFC 8693, `act` = the gateway) names the gateway as client, not the grant's.
      const clientMatches = claims['act'] !== undefined || grant?.clientId === claims['client_id'];
      if (!grant || !clientMatches || grant.accountId !== claims.sub) return undefined;
      if (await deps.hot.get(revokedGrantKey(deps.tenant.slug, grantId))) return undefined;
    }
    return claims;
  }

  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    await next();
    const route = ctx.oidc?.route;
    if ((route !== 'introspection' && route !== 'revocation') || ctx.status !== 400 || bodyError(ctx) !== 'unsupported_token_type') return;
    const client = ctx.oidc.client;
    if (!client) return;
    const token = await liveToken(ctx.oidc.params?.['token']);
    const grantId = typeof token?.['grant_id'] === 'string' ? token['grant_id'] : undefined;
    ctx.status = 200;

    if (route === 'revocation') {
      ctx.body = '';
      // RFC 7009: another client's token, or an unknown one, is answered the same and left alone.
      if (!token || token['client_id'] !== client.clientId) return;
      if (grantId) await deps.revokeGrant(grantId);
      return;
    }

    ctx.type = 'application/json; charset=utf-8';
    const allowed = token && (client.clientAuthMethod !== 'none' || token['client_id'] === client.clientId);
    if (!token || !allowed) {
      ctx.body = { active: false };
      return;
    }
    ctx.body = { ...token, active: true, token_type: 'Bearer' };
  };
}
