import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import { errors, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import { ACCESS_TOKEN_JWT_TYPE, ID_JAG_JWT_TYPE, ID_JAG_TOKEN_TYPE, ID_TOKEN_TYPE, parseScope, revokedGrantKey } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { invalidGrant } from './grant-errors.js';
import type { IdJagRepository } from './id-jag.repository.js';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** ID-JAGs are short-lived: the client redeems one at once (the draft suggests minutes). */
export const ID_JAG_TTL_SECONDS = 300;

export interface IdJagIssue {
  audience: string;
  resource: string | undefined;
  subject: string;
  clientId: string;
  scopes: string[];
  jti: string;
}

export interface IdJagIssuanceDeps {
  tenant: TenantRecord;
  publicJwks: JSONWebKeySet;
  signingJwks: JWK[];
  hot: HotStore;
  repository: Pick<IdJagRepository, 'findAudience' | 'isActiveUser'>;
  record(tenant: TenantRecord, issue: IdJagIssue): void;
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new errors.InvalidRequest(`${name} must be given once`);
  return value;
}

/**
 * The IdP side of ID-JAG, for RFC 8693 token exchange with `requested_token_type` id-jag: a client of this
 * tenant trades an ID token (or access token) this tenant issued to it for an ID-JAG naming the same user,
 * for an authorization server this tenant's admin listed (`id_jag_audiences`), within its resource,
 * client and scope limits. Lets one Airlock tenant act as the enterprise IdP for another.
 */
export function idJagExchangeHandler(provider: Provider, deps: IdJagIssuanceDeps): (ctx: KoaContextWithOIDC) => Promise<void> {
  const { tenant } = deps;
  const keys = createLocalJWKSet(deps.publicJwks);

  async function verifiedSubject(token: string, type: string | undefined, clientId: string): Promise<JWTPayload & { sub: string }> {
    let claims: JWTPayload;
    try {
      if (type === ID_TOKEN_TYPE) {
        const header = decodeProtectedHeader(token);
        // An ID token, not one of this tenant's access tokens or ID-JAGs (their typ says so).
        if (header.typ !== undefined && header.typ !== 'JWT') throw new Error('not an ID token');
        ({ payload: claims } = await jwtVerify(token, keys, { issuer: tenant.issuer, audience: clientId }));
      } else if (type === ACCESS_TOKEN_TYPE) {
        ({ payload: claims } = await jwtVerify(token, keys, { issuer: tenant.issuer, typ: ACCESS_TOKEN_JWT_TYPE }));
        if (claims['client_id'] !== clientId || claims['act'] !== undefined) throw new Error('not this client’s user token');
        const grantId = claims['grant_id'];
        if (typeof grantId !== 'string' || (await deps.hot.get(revokedGrantKey(tenant.slug, grantId))) || !(await provider.Grant.find(grantId))) throw new Error('revoked');
      } else {
        throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE} or ${ACCESS_TOKEN_TYPE}`);
      }
    } catch (error) {
      if (error instanceof errors.InvalidRequest) throw error;
      throw invalidGrant('subject_token is not a valid, live token this tenant issued to this client');
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') throw invalidGrant('subject_token has no subject');
    return { ...claims, sub: claims.sub };
  }

  return async (ctx) => {
    const params = ctx.oidc.params as Record<string, unknown>;
    const client = ctx.oidc.client;
    if (!client) throw new errors.InvalidClient('client authentication is required');
    if (params['actor_token'] !== undefined || params['actor_token_type'] !== undefined) throw new errors.InvalidRequest('actor_token is not supported');
    const subjectToken = single(params['subject_token'], 'subject_token');
    if (!subjectToken) throw new errors.InvalidRequest('missing required parameter subject_token');
    const subjectType = single(params['subject_token_type'], 'subject_token_type');
    const audience = single(params['audience'], 'audience');
    if (!audience) throw new errors.InvalidRequest("missing required parameter audience (the authorization server's issuer)");
    const resourceParam = params['resource'];
    if (Array.isArray(resourceParam) && resourceParam.length > 1) throw new errors.InvalidTarget('at most one resource is allowed');
    const resource = (Array.isArray(resourceParam) ? resourceParam[0] : resourceParam) as string | undefined;

    const subject = await verifiedSubject(subjectToken, subjectType, client.clientId);
    // An ID token cannot be revoked: a user disabled since it was issued gets no ID-JAG.
    if (!(await deps.repository.isActiveUser(tenant.id, subject.sub))) throw invalidGrant('the subject_token names no active user of this tenant');
    const target = await deps.repository.findAudience(tenant.id, audience);
    if (!target || !target.enabled) throw new errors.InvalidTarget('this tenant issues no ID-JAGs for that audience');
    if (target.allowedClientIds.length > 0 && !target.allowedClientIds.includes(client.clientId)) throw new errors.UnauthorizedClient('this client may not obtain ID-JAGs for that audience');
    if (target.resources.length > 0 && (resource === undefined || !target.resources.includes(resource))) throw new errors.InvalidTarget('the resource is not one this tenant issues ID-JAGs for');

    const requestedScope = single(params['scope'], 'scope');
    let scopes = requestedScope === undefined ? [...target.scopes] : [...parseScope(requestedScope)];
    if (target.scopes.length > 0) {
      const beyond = scopes.filter((scope) => !target.scopes.includes(scope));
      if (beyond.length > 0) throw new errors.InvalidScope('the scope exceeds what this tenant issues ID-JAGs for', beyond.join(' '));
    }
    scopes = [...new Set(scopes)];

    const jwk = deps.signingJwks.find((key) => key.alg === 'ES256') ?? deps.signingJwks[0];
    if (!jwk?.kid || !jwk.alg) throw new Error(`no signing key for tenant ${tenant.slug}`);
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const claims: JWTPayload = { client_id: client.clientId, ...(resource ? { resource } : {}), ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}) };
    if (typeof subject['auth_time'] === 'number') claims['auth_time'] = subject['auth_time'];
    const value = await new SignJWT(claims)
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: ID_JAG_JWT_TYPE })
      .setIssuer(tenant.issuer)
      .setSubject(subject.sub)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ID_JAG_TTL_SECONDS)
      .setJti(jti)
      .sign(await importJWK(jwk as Parameters<typeof importJWK>[0], jwk.alg));
    deps.record(tenant, { audience, resource, subject: subject.sub, clientId: client.clientId, scopes, jti });
    ctx.body = {
      access_token: value,
      issued_token_type: ID_JAG_TOKEN_TYPE,
      // RFC 8693 2.2.1: the issued token is not an access token.
      token_type: 'N_A',
      expires_in: ID_JAG_TTL_SECONDS,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  };
}
