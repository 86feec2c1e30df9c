import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { ACCESS_TOKEN_JWT_TYPE, parseScope, revokedGrantKey, Scopes } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import type { ResourceCatalog } from './resource-catalog.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { TOKEN_EXCHANGE_GRANT } from './provider-config.js';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** An upstream server that accepts tokens from this tenant's issuer (credential kind `token_exchange`). */
export interface ExchangeTarget {
  serverName: string;
  /** The upstream's resource identifier: the `aud` of the exchanged token. */
  resource: string;
  /** The scopes that mean something to it: `mcp` and its tools' required scopes. */
  scopes: string[];
}

export interface TokenExchangeDeps {
  tenant: TenantRecord;
  publicJwks: JSONWebKeySet;
  hot: HotStore;
  resources: ResourceCatalog;
  exchangeTarget(tenant: TenantRecord, resource: string): Promise<ExchangeTarget | undefined>;
  /** Only service clients (the gateway) may exchange, whatever a registered client claims in grant_types. */
  mayExchange(clientId: string): boolean;
  /** Other exchanges by `requested_token_type` (the ID-JAG module's), each with its own client rules. */
  byRequestedType?: ReadonlyMap<string, (ctx: KoaContextWithOIDC) => Promise<void>>;
}

const PARAMETERS = new Set(['subject_token', 'subject_token_type', 'requested_token_type', 'resource', 'scope', 'audience', 'actor_token', 'actor_token_type']);

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new errors.InvalidRequest(`${name} must be given once`);
  return value;
}

/**
 * RFC 8693 token exchange for the gateway (the only client allowed the grant): it trades a user's access
 * token for the gateway's own resource for a token bound to one upstream server, so the user's token is
 * never forwarded. The result carries the user as `sub`, the gateway as actor (`act`), the user's grant
 * (revoking it kills the exchanged token too), at most the subject token's scopes that the upstream
 * understands, and never outlives the subject token.
 */
export function registerTokenExchange(provider: Provider, deps: TokenExchangeDeps): void {
  const keys = createLocalJWKSet(deps.publicJwks);
  const { tenant } = deps;

  async function verifiedSubject(value: string): Promise<JWTPayload & { sub: string; grant_id: string }> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(value, keys, { issuer: tenant.issuer, typ: ACCESS_TOKEN_JWT_TYPE }));
    } catch {
      throw new errors.InvalidGrant('subject_token is invalid or expired');
    }
    const grantId = claims['grant_id'];
    if (typeof claims.sub !== 'string' || typeof grantId !== 'string' || claims['act'] !== undefined) {
      throw new errors.InvalidGrant('subject_token is not a user access token');
    }
    const grant = await provider.Grant.find(grantId);
    if (!grant || grant.accountId !== claims.sub || grant.clientId !== claims['client_id'] || (await deps.hot.get(revokedGrantKey(tenant.slug, grantId)))) {
      throw new errors.InvalidGrant('subject_token was revoked');
    }
    return { ...claims, sub: claims.sub, grant_id: grantId };
  }

  async function handler(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params as Record<string, unknown>;
    const client = ctx.oidc.client;
    if (!client) throw new errors.InvalidClient('client authentication is required');
    const other = deps.byRequestedType?.get(String(params['requested_token_type']));
    if (other) return other(ctx);
    if (!deps.mayExchange(client.clientId)) throw new errors.UnauthorizedClient('this client may not use token exchange');
    if (params['actor_token'] !== undefined || params['actor_token_type'] !== undefined) throw new errors.InvalidRequest('actor_token is not supported');
    const subjectToken = single(params['subject_token'], 'subject_token');
    if (!subjectToken) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (single(params['subject_token_type'], 'subject_token_type') !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    const requestedType = single(params['requested_token_type'], 'requested_token_type');
    if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params['audience'] !== undefined) throw new errors.InvalidTarget('name the upstream with resource, not audience');
    const resourceParam = params['resource'];
    if (Array.isArray(resourceParam) && resourceParam.length > 1) throw new errors.InvalidTarget('exactly one resource is allowed');
    const resource = Array.isArray(resourceParam) ? resourceParam[0] : resourceParam;
    if (typeof resource !== 'string' || resource === '') throw new errors.InvalidTarget('resource (the upstream server) is required');

    const subject = await verifiedSubject(subjectToken);
    const audience = typeof subject.aud === 'string' ? subject.aud : undefined;
    const from = audience ? await deps.resources.describe(tenant, audience) : undefined;
    if (!from || (from.kind !== 'mcp-aggregated' && from.kind !== 'mcp-server')) {
      throw new errors.InvalidGrant('subject_token was not issued for the gateway');
    }
    const target = await deps.exchangeTarget(tenant, resource);
    // A token for one hosted server can only be exchanged for that server's upstream.
    if (!target || (from.kind === 'mcp-server' && from.serverName !== target.serverName)) {
      throw new errors.InvalidTarget('the resource is not an upstream this token can be exchanged for');
    }

    const subjectScopes = parseScope(typeof subject['scope'] === 'string' ? subject['scope'] : undefined);
    const allowed = target.scopes.filter((scope) => subjectScopes.has(scope));
    const requestedScope = single(params['scope'], 'scope');
    const scopes = requestedScope === undefined ? allowed : [...parseScope(requestedScope)];
    if (scopes.some((scope) => !allowed.includes(scope))) throw new errors.InvalidScope('scope exceeds what the subject token allows for this upstream', scopes.join(' '));
    if (scopes.length === 0) throw new errors.InvalidScope('the subject token grants nothing on this upstream', '');

    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.min(tenant.accessTokenTtl, (subject.exp ?? now) - now);
    if (expiresIn <= 0) throw new errors.InvalidGrant('subject_token is expired');

    const token = new provider.AccessToken({
      accountId: subject.sub,
      client,
      grantId: subject.grant_id,
      scope: scopes.join(' '),
      gty: 'token_exchange',
      expiresIn,
      extra: { act: { sub: client.clientId } },
    });
    token.resourceServer = {
      audience: target.resource,
      scope: target.scopes.join(' '),
      accessTokenTTL: expiresIn,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
      identifier: () => target.resource,
      scopes: new Set(target.scopes),
    } as unknown as typeof token.resourceServer;
    const value = await token.save();

    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: scopes.join(' '),
    };
  }

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, handler, PARAMETERS, new Set(['resource']));
}

/** `mcp` plus the tool scopes of one upstream server, as the tool catalogue lists them. */
export function upstreamScopes(toolScopes: string[]): string[] {
  return [Scopes.mcp, ...toolScopes.filter((scope) => scope !== Scopes.mcp)];
}
