import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { BoundedCache } from '@airlock/platform';
import type { SafeFetcher } from '../client-metadata/safe-fetcher.js';
import type { TrustedIssuerRow } from './id-jag.repository.js';

/** A fetched key set is used this long before it is fetched again. */
const MAX_AGE_MS = 10 * 60_000;
/** An unknown `kid` refetches the set (the IdP rotated), but at most this often per issuer. */
export const UNKNOWN_KID_REFETCH_MS = 30_000;
const MAX_JWKS_BYTES = 64 * 1024;

interface CachedKeys {
  /** Changes when an admin edits the issuer: its keys are then fetched afresh. */
  version: string;
  keys: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

export class IssuerKeysError extends Error {}

function keySet(value: unknown): JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'object' || key === null || 'd' in key)) throw new IssuerKeysError('the issuer published no usable key set');
  return { keys } as JSONWebKeySet;
}

/**
 * Verifies assertions with a trusted issuer's keys: inline ones, or its jwks_uri fetched SSRF-safe and
 * cached per issuer (not per request: the token endpoint must not fetch on every assertion). A `kid` the
 * cached set lacks refetches once, at most every 30 s, so a rotation at the IdP is picked up at once
 * and a flood of made-up kids costs one fetch per 30 s.
 */
export class IssuerKeys {
  private readonly cache = new BoundedCache<string, CachedKeys>(1_000);

  constructor(
    private readonly fetcher: Pick<SafeFetcher, 'get'>,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(issuer: TrustedIssuerRow, token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    let cached = await this.keysOf(issuer, false);
    try {
      return (await jwtVerify(token, cached.keys, options)).payload;
    } catch (error) {
      const unknownKid = error instanceof joseErrors.JWKSNoMatchingKey;
      if (!unknownKid || !issuer.jwksUri || this.now() - cached.fetchedAt < UNKNOWN_KID_REFETCH_MS) throw error;
      cached = await this.keysOf(issuer, true);
      return (await jwtVerify(token, cached.keys, options)).payload;
    }
  }

  private async keysOf(issuer: TrustedIssuerRow, refetch: boolean): Promise<CachedKeys> {
    const version = `${issuer.updatedAt.getTime()}`;
    const cached = this.cache.get(issuer.id);
    if (!refetch && cached && cached.version === version && (!issuer.jwksUri || this.now() - cached.fetchedAt < MAX_AGE_MS)) return cached;
    const inline = issuer.jwks ? keySet(issuer.jwks).keys : [];
    const fetched = issuer.jwksUri ? keySet(await this.fetch(issuer.jwksUri)).keys : [];
    const entry = { version, keys: createLocalJWKSet({ keys: [...inline, ...fetched] }), fetchedAt: this.now() };
    this.cache.set(issuer.id, entry);
    return entry;
  }

  private async fetch(url: string): Promise<unknown> {
    let response;
    try {
      response = await this.fetcher.get(url, { accept: 'application/json, application/jwk-set+json' });
    } catch {
      throw new IssuerKeysError("the issuer's jwks_uri could not be fetched");
    }
    if (response.status !== 200 || response.body.length > MAX_JWKS_BYTES) throw new IssuerKeysError(`the issuer's jwks_uri answered ${response.status}`);
    try {
      return JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new IssuerKeysError("the issuer's jwks_uri is not JSON");
    }
  }
}
