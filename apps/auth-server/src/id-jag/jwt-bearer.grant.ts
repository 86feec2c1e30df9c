import { decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { ID_JAG_JWT_TYPE, JWT_BEARER_GRANT, parseScope } from '@airlock/contracts';
import type { ResourceCatalog } from '../oidc/resource-catalog.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { withinGroupScopes, type GroupAccess } from '../users/group-scopes.js';
import { invalidGrant } from './grant-errors.js';
import type { AssertionReplayGuard } from './assertion-replay.js';
import type { IdJagRepository } from './id-jag.repository.js';
import { IssuerKeysError, type IssuerKeys } from './issuer-keys.js';

/** Asymmetric algorithms only: an ID-JAG is verified with the IdP's published keys. */
export const ASSERTION_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'];
/** Clock skew tolerated on exp, nbf and iat. */
const SKEW_SECONDS = 30;
/** An ID-JAG is short-lived (minutes): one valid for longer than this is refused. */
const MAX_LIFETIME_SECONDS = 60 * 60;

export interface IdJagRedemption {
  issuer: string;
  idpSubject: string;
  accountId: string | undefined;
  clientId: string;
  resource: string | undefined;
  scopes: string[];
  jti: string | undefined;
  outcome: 'success' | 'refused';
  reason?: string;
}

export interface JwtBearerDeps {
  tenant: TenantRecord;
  repository: Pick<IdJagRepository, 'findIssuer' | 'linkedUser' | 'activeGrantId' | 'recordGrant'>;
  keys: IssuerKeys;
  replay: AssertionReplayGuard;
  resources: ResourceCatalog;
  /**
   * Just-in-time provisioning for an issuer that has it on: the user for an unlinked subject (created and
   * linked through the tenant's OpenID provider of that issuer), or undefined when none can be made.
   */
  provision(tenant: TenantRecord, issuer: string, subject: string, email: string | undefined): Promise<string | undefined>;
  /** The user's groups and the scopes the tenant's group mappings govern and allow them. */
  groupAccess(tenant: TenantRecord, accountId: string): Promise<GroupAccess>;
  /** Every redemption by an authenticated client, issued or refused (the audit log). */
  record(tenant: TenantRecord, redemption: IdJagRedemption): void;
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new errors.InvalidRequest(`${name} must be given once`);
  return value;
}

/** The precise refusal for a failed signature or claim check, naming the claim and never a key. */
function verificationFailure(error: unknown): ReturnType<typeof invalidGrant> {
  if (error instanceof IssuerKeysError) return invalidGrant(`the issuer's keys are unavailable: ${error.message}`);
  if (error instanceof joseErrors.JWTExpired) return invalidGrant('the assertion has expired (exp)');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'aud') return invalidGrant("the assertion's aud is not this authorization server's issuer");
    if (claim === 'nbf') return invalidGrant('the assertion is not valid yet (nbf)');
    if (claim === 'iat') return invalidGrant('the assertion was issued in the future (iat)');
    if (claim === 'typ') return invalidGrant(`the assertion is not an ID-JAG (typ must be ${ID_JAG_JWT_TYPE})`);
    return invalidGrant(`the assertion's ${claim} claim is missing or invalid`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return invalidGrant("the assertion's signature does not verify with the issuer's keys");
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalidGrant('the assertion is signed with an algorithm this server does not accept');
  return invalidGrant('the assertion is not a valid signed JWT');
}

/**
 * RFC 7523 jwt-bearer grant for Identity Assertion JWT Authorization Grants (ID-JAG): a client presents
 * an ID-JAG a trusted IdP issued for it and gets an access token for the assertion's resource, with at most
 * the scopes both the assertion and the request name. The subject must be linked to a local user (by the
 * IdP's issuer and subject), or the tenant provisions one just in time where it turned that on for the issuer. Each assertion is redeemable once; every redemption is audited.
 */
export function registerJwtBearerGrant(provider: Provider, deps: JwtBearerDeps): void {
  const { tenant } = deps;

  async function redeem(ctx: KoaContextWithOIDC, attempt: Partial<IdJagRedemption>): Promise<void> {
    const params = ctx.oidc.params as Record<string, unknown>;
    const client = ctx.oidc.client;
    if (!client) throw new errors.InvalidClient('client authentication is required');
    const assertion = single(params['assertion'], 'assertion');
    if (!assertion) throw new errors.InvalidRequest('missing required parameter assertion');

    let unverified: JWTPayload;
    try {
      const header = decodeProtectedHeader(assertion);
      unverified = decodeJwt(assertion);
      if (header.typ !== ID_JAG_JWT_TYPE) throw invalidGrant(`the assertion is not an ID-JAG (typ must be ${ID_JAG_JWT_TYPE})`);
    } catch (error) {
      if (error instanceof errors.InvalidGrant) throw error;
      throw invalidGrant('the assertion is not a JWT');
    }
    if (typeof unverified.iss !== 'string' || unverified.iss === '') throw invalidGrant('the assertion has no iss');
    attempt.issuer = unverified.iss;
    const issuer = await deps.repository.findIssuer(tenant.id, unverified.iss);
    if (!issuer) throw invalidGrant("the assertion's issuer is not trusted by this tenant");
    if (!issuer.enabled) throw invalidGrant("the assertion's issuer is disabled for this tenant");
    if (issuer.allowedClientIds.length > 0 && !issuer.allowedClientIds.includes(client.clientId)) {
      throw new errors.UnauthorizedClient("this client may not redeem this issuer's assertions");
    }

    let claims: JWTPayload;
    try {
      claims = await deps.keys.verify(issuer, assertion, {
        issuer: issuer.issuer,
        audience: tenant.issuer,
        typ: ID_JAG_JWT_TYPE,
        algorithms: ASSERTION_ALGORITHMS,
        clockTolerance: SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      });
    } catch (error) {
      throw verificationFailure(error);
    }
    const sub = String(claims.sub);
    const jti = String(claims.jti);
    attempt.idpSubject = sub;
    attempt.jti = jti;
    const now = Math.floor(Date.now() / 1000);
    if (claims.exp! - now > MAX_LIFETIME_SECONDS) throw invalidGrant('the assertion is valid for too long (exp more than an hour away)');
    if (claims['client_id'] !== client.clientId) throw invalidGrant("the assertion's client_id is not the authenticated client");

    // The access token is bound to the assertion's resource: the request may repeat it, never change it.
    const claimed = claims['resource'];
    const resource = typeof claimed === 'string' ? claimed : Array.isArray(claimed) && claimed.length === 1 && typeof claimed[0] === 'string' ? claimed[0] : undefined;
    if (!resource) throw invalidGrant('the assertion names no single resource');
    attempt.resource = resource;
    const requestedResource = params['resource'];
    if (requestedResource !== undefined && (Array.isArray(requestedResource) ? requestedResource.length !== 1 || requestedResource[0] !== resource : requestedResource !== resource)) {
      throw new errors.InvalidTarget("the resource differs from the assertion's resource");
    }
    const description = await deps.resources.describe(tenant, resource);
    if (!description || (description.kind !== 'mcp-aggregated' && description.kind !== 'mcp-server')) {
      throw new errors.InvalidTarget("the assertion's resource is not an MCP resource of this tenant");
    }

    // Only scopes in both the assertion and the request (when it names any), and that the resource knows.
    const asserted = parseScope(typeof claims['scope'] === 'string' ? claims['scope'] : undefined);
    const requestedScope = single(params['scope'], 'scope');
    const requested = requestedScope === undefined ? asserted : parseScope(requestedScope);
    const widened = [...requested].filter((scope) => !asserted.has(scope));
    if (widened.length > 0) throw new errors.InvalidScope('the requested scope exceeds the assertion', widened.join(' '));
    const known = description.scopes.filter((scope) => requested.has(scope));
    if (known.length === 0) throw new errors.InvalidScope('neither the assertion nor the request grants a scope of this resource', '');
    attempt.scopes = known;

    let accountId = await deps.repository.linkedUser(tenant.id, issuer.issuer, sub);
    if (!accountId && issuer.provisionUsers) {
      accountId = await deps.provision(tenant, issuer.issuer, sub, typeof claims['email'] === 'string' ? claims['email'] : undefined);
      if (!accountId) throw invalidGrant("the assertion's subject is not linked to a user of this tenant, and no user could be provisioned for it");
    }
    if (!accountId) throw invalidGrant("the assertion's subject is not linked to a user of this tenant");
    attempt.accountId = accountId;
    // Group mappings govern this token as any other of the user's: a governed scope only through a current group.
    const scopes = withinGroupScopes(known, await deps.groupAccess(tenant, accountId));
    attempt.scopes = scopes;
    if (scopes.length === 0) throw new errors.InvalidScope("the user's groups allow none of the requested scopes", '');
    // Last, so a request refused above may be corrected and sent again with the same assertion.
    if (!(await deps.replay.firstUse(tenant.slug, issuer.issuer, jti, claims.exp!))) throw invalidGrant('the assertion was already used (jti)');

    // A grant as consent would give (the user's existing one for this client and resource, widened), and
    // its consent row: listed and revocable on the account page and in the admin API like any other.
    const existingId = await deps.repository.activeGrantId(tenant.id, accountId, client.clientId, description.audience);
    const existing = existingId ? await provider.Grant.find(existingId) : undefined;
    const reusable = existing && existing.accountId === accountId && existing.clientId === client.clientId && Object.keys(existing.resources ?? {}).every((granted) => granted === description.audience);
    const grant = reusable ? existing : new provider.Grant({ accountId, clientId: client.clientId });
    grant.addResourceScope(description.audience, scopes.join(' '));
    const grantId = await grant.save();
    await deps.repository.recordGrant(tenant.id, accountId, client.clientId, description.audience, scopes, grantId);
    const expiresIn = tenant.accessTokenTtl;
    const token = new provider.AccessToken({ accountId, client, grantId, scope: scopes.join(' '), gty: 'jwt_bearer', expiresIn });
    token.resourceServer = {
      audience: description.audience,
      scope: scopes.join(' '),
      accessTokenTTL: expiresIn,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
      identifier: () => description.audience,
      scopes: new Set(description.scopes),
    } as unknown as typeof token.resourceServer;
    const value = await token.save();
    ctx.body = { access_token: value, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
  }

  async function handler(ctx: KoaContextWithOIDC): Promise<void> {
    const attempt: Partial<IdJagRedemption> = {};
    const clientId = ctx.oidc.client?.clientId ?? '';
    try {
      await redeem(ctx, attempt);
      deps.record(tenant, { ...empty(attempt), clientId, outcome: 'success' });
    } catch (error) {
      const reason = error instanceof errors.OIDCProviderError ? `${error.message}: ${error.error_description ?? ''}` : 'server_error';
      deps.record(tenant, { ...empty(attempt), clientId, outcome: 'refused', reason });
      throw error;
    }
  }

  provider.registerGrantType(JWT_BEARER_GRANT, handler, new Set(['assertion', 'scope', 'resource']), new Set(['resource']));
  provider.use(unauthorizedClientMiddleware);
}

/**
 * oidc-provider answers a client using a grant type it is not registered for with `invalid_request`;
 * RFC 6749 5.2 (and RFC 7523 3.1) call that `unauthorized_client`. Only for this grant, so other grants
 * answer as before.
 */
async function unauthorizedClientMiddleware(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.status !== 400 || (ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route !== 'token') return;
  const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
  const grantType = (ctx.oidc.params as Record<string, unknown> | undefined)?.['grant_type'];
  if (grantType === JWT_BEARER_GRANT && body?.error === 'invalid_request' && body.error_description === 'requested grant type is not allowed for this client') {
    ctx.body = { ...body, error: 'unauthorized_client' };
  }
}

function empty(attempt: Partial<IdJagRedemption>): Omit<IdJagRedemption, 'clientId' | 'outcome'> {
  return { issuer: attempt.issuer ?? '', idpSubject: attempt.idpSubject ?? '', accountId: attempt.accountId, resource: attempt.resource, scopes: attempt.scopes ?? [], jti: attempt.jti };
}
