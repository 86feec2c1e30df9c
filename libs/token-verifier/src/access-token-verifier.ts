import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import type { FetchImplementation, JWTVerifyGetKey } from 'jose';
import { ACCESS_TOKEN_JWT_TYPE, accessTokenClaimsSchema, issuerUrl, parseScope, tenantSlugSchema } from '@airlock/contracts';
import type { AccessTokenClaims } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { RevokedGrantSet } from './revoked-grants.js';
import { TokenError } from './token-error.js';

/** Asymmetric algorithms the auth server signs with; `none`, HMAC and everything else are refused. */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256'] as const;

export interface AccessTokenVerifierOptions {
  /** AUTH_PUBLIC_URL: tokens must name `issuerUrl(issuerBaseUrl, tenant)` exactly. */
  issuerBaseUrl: string;
  /** Where to fetch the JWKS from when the public URL is not reachable from here; defaults to issuerBaseUrl. */
  jwksBaseUrl?: string;
  hot: HotStore;
  clockSkewSeconds?: number;
  fetch?: typeof globalThis.fetch;
  /** Least time between two JWKS fetches of one tenant (an unknown `kid` refetches at most this often). */
  jwksCooldownMs?: number;
  /** Keys are refetched after this even when every `kid` is known. */
  jwksMaxAgeMs?: number;
  /** Tenants whose key sets are cached at once; the least recently used goes first. */
  maxCachedTenants?: number;
  revokedGrantResyncMs?: number;
  /**
   * A token whose signature and claims checked out is trusted this long without checking them again (never past
   * its `exp`; revocation, audience and scopes are still checked on every call). Within the JWKS's own cache
   * age, so a key dropped from the JWKS is not trusted longer than before. 0 disables.
   */
  verifiedTokenCacheMs?: number;
  /** Verified tokens remembered at once; the oldest goes first. */
  maxCachedTokens?: number;
  onBackgroundError?: (error: unknown) => void;
}

export interface VerifyOptions {
  tenant: string;
  /** The exact resource identifier this server answers for; `aud` must be exactly this. */
  audience: string;
  /** All of these must be in the token's `scope`, else `insufficient_scope`. */
  requiredScopes?: readonly string[];
}

export interface AccessTokenVerifier {
  /** Subscribes to grant revocations and loads the existing ones; `verify` does it on first use too. */
  start(): Promise<void>;
  verify(token: string, options: VerifyOptions): Promise<AccessTokenClaims>;
  isGrantRevoked(tenant: string, grantId: string): boolean;
  /** True when the client's tokens issued at `issuedAt` or before are revoked (the client was deleted or disabled). */
  isClientTokenRevoked(tenant: string, clientId: string, issuedAt: number): boolean;
  /** Grants in the in-memory revoked set (metrics: it grows with revocations until their tokens expire). */
  revokedGrantCount(): number;
  close(): Promise<void>;
}

interface TenantKeys {
  getKey: JWTVerifyGetKey;
  failure?: { at: number; error: TokenError } | undefined;
}

/** How long an unreachable JWKS endpoint is not asked again (requests fail fast with 503 meanwhile). */
const FAILURE_RETRY_MS = 2_000;
const UNKNOWN_TENANT = 'the access token is not valid for this tenant';

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const skew = options.clockSkewSeconds ?? 30;
  const maxTenants = options.maxCachedTenants ?? 1000;
  const keySets = new Map<string, TenantKeys>();
  const cooldownMs = options.jwksCooldownMs ?? 30_000;
  const revoked = new RevokedGrantSet({
    hot: options.hot,
    ...(options.revokedGrantResyncMs ? { resyncIntervalMs: options.revokedGrantResyncMs } : {}),
    ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}),
  });
  const fetchImpl = options.fetch;
  const verifiedCacheMs = Math.min(options.verifiedTokenCacheMs ?? 30_000, options.jwksMaxAgeMs ?? 10 * 60_000);
  const maxCachedTokens = options.maxCachedTokens ?? 10_000;
  // By the token itself: the signature was checked once for exactly these bytes.
  const verified = new Map<string, { tenant: string; audience: string; claims: AccessTokenClaims; until: number }>();

  function keysFor(tenant: string): TenantKeys {
    const cached = keySets.get(tenant);
    if (cached) {
      keySets.delete(tenant);
      keySets.set(tenant, cached);
      return cached;
    }
    const url = new URL(`${issuerUrl(options.jwksBaseUrl ?? options.issuerBaseUrl, tenant)}/jwks`);
    const fetchJwks = fetchImpl ?? globalThis.fetch;
    const keys: TenantKeys = {
      getKey: createRemoteJWKSet(url, {
        cooldownDuration: cooldownMs,
        cacheMaxAge: options.jwksMaxAgeMs ?? 10 * 60_000,
        timeoutDuration: 5_000,
        [customFetch]: (async (input, init) => {
          const response = await fetchJwks(input, init);
          // An unknown tenant's issuer answers 404: that is a bad token, not an outage.
          if (response.status === 404) throw new TokenError('invalid_token', UNKNOWN_TENANT);
          return response;
        }) satisfies FetchImplementation,
      }),
    };
    keySets.set(tenant, keys);
    if (keySets.size > maxTenants) {
      const oldest = keySets.keys().next().value;
      if (oldest !== undefined) keySets.delete(oldest);
    }
    return keys;
  }

  /** jose rate-limits refetches after a success only; failures are remembered here so they are not retried per request. */
  async function resolveKey(tenant: string, ...args: Parameters<JWTVerifyGetKey>) {
    const keys = keysFor(tenant);
    if (keys.failure && Date.now() - keys.failure.at < (keys.failure.error.code === 'invalid_token' ? cooldownMs : FAILURE_RETRY_MS)) throw keys.failure.error;
    try {
      const key = await keys.getKey(...args);
      keys.failure = undefined;
      return key;
    } catch (error) {
      const translated = translate(error);
      if (isKeyFetchFailure(translated)) keys.failure = { at: Date.now(), error: translated };
      throw translated;
    }
  }

  async function verify(token: string, verifyOptions: VerifyOptions): Promise<AccessTokenClaims> {
    const { tenant, audience } = verifyOptions;
    // The slug is part of the JWKS URL: never let a path-like value steer the fetch.
    if (!tenantSlugSchema.safeParse(tenant).success) throw new TokenError('invalid_token', UNKNOWN_TENANT);
    await revoked.start().catch((error: unknown) => {
      throw new TokenError('temporarily_unavailable', 'token revocation state is unavailable', { cause: error });
    });
    const hit = verified.get(token);
    const claims = hit && hit.tenant === tenant && hit.audience === audience && Date.now() < hit.until ? hit.claims : await verifySigned(token, tenant, audience);
    if (claims.grant_id && revoked.has(tenant, claims.grant_id)) throw new TokenError('invalid_token', 'the access token has been revoked');
    // A deleted or disabled client's tokens (client_credentials ones have no other grant to revoke).
    if (revoked.isClientTokenRevoked(tenant, claims.client_id, claims.iat)) throw new TokenError('invalid_token', 'the access token has been revoked');
    const required = verifyOptions.requiredScopes ?? [];
    if (required.length > 0) {
      const granted = parseScope(claims.scope);
      if (!required.every((scope) => granted.has(scope))) {
        throw new TokenError('insufficient_scope', `the access token lacks the required scope: ${required.join(' ')}`, { requiredScopes: required });
      }
    }
    return claims;
  }

  /** Signature, issuer, audience, type, lifetime and claim shape: what does not change while a token lives. */
  async function verifySigned(token: string, tenant: string, audience: string): Promise<AccessTokenClaims> {
    const issuer = issuerUrl(options.issuerBaseUrl, tenant);
    let payload: unknown;
    try {
      const result = await jwtVerify(token, (header, input) => resolveKey(tenant, header, input), {
        issuer,
        audience,
        typ: ACCESS_TOKEN_JWT_TYPE,
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        clockTolerance: skew,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
      });
      payload = result.payload;
    } catch (error) {
      throw translate(error);
    }
    const parsed = accessTokenClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new TokenError('invalid_token', 'the access token is missing required claims');
    const claims = parsed.data;
    // jose accepts `aud` arrays that merely contain the audience; a token for several resources is refused.
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
    if (audiences.length !== 1 || audiences[0] !== audience) throw new TokenError('invalid_token', 'the access token is not meant for this resource');
    if (verifiedCacheMs > 0) {
      // jose's rule: expired once `exp` is more than the skew in the past.
      const until = Math.min(Date.now() + verifiedCacheMs, (claims.exp + skew) * 1000);
      verified.delete(token);
      verified.set(token, { tenant, audience, claims, until });
      if (verified.size > maxCachedTokens) {
        const oldest = verified.keys().next().value;
        if (oldest !== undefined) verified.delete(oldest);
      }
    }
    return claims;
  }

  return {
    start: () => revoked.start(),
    verify,
    isGrantRevoked: (tenant, grantId) => revoked.has(tenant, grantId),
    isClientTokenRevoked: (tenant, clientId, issuedAt) => revoked.isClientTokenRevoked(tenant, clientId, issuedAt),
    revokedGrantCount: () => revoked.size,
    close: () => {
      verified.clear();
      return revoked.close();
    },
  };
}

function translate(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWTExpired) return new TokenError('invalid_token', 'the access token has expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    const description =
      error.claim === 'iss'
        ? 'the access token was not issued by this tenant'
        : error.claim === 'aud'
          ? 'the access token is not meant for this resource'
          : error.claim === 'typ'
            ? 'the token is not an access token (typ must be at+jwt)'
            : error.claim === 'nbf' || error.claim === 'iat'
              ? 'the access token is not valid yet'
              : 'the access token claims are not valid';
    return new TokenError('invalid_token', description, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenError('invalid_token', 'the access token is signed with an algorithm that is not allowed', { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenError('invalid_token', 'the access token is not signed by a key of this tenant', { cause: error });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenError('invalid_token', 'the access token signature is not valid', { cause: error });
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) {
    return new TokenError('temporarily_unavailable', 'the token signing keys cannot be fetched right now', { cause: error });
  }
  return new TokenError('invalid_token', 'the access token is malformed', { cause: error });
}

function isKeyFetchFailure(error: TokenError): boolean {
  return error.code === 'temporarily_unavailable' || error.description === UNKNOWN_TENANT;
}

function isFetchFailure(error: unknown): boolean {
  // jose raises a plain JOSEError for a non-200 JWKS response; fetch raises TypeError on network errors.
  return error instanceof TypeError || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC' && /response|fetch/i.test(error.message));
}
