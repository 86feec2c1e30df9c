import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GRANT_REVOKED_CHANNEL, revokedGrantKey } from '@airlock/contracts';
import type { GrantRevokedEvent } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { createTestHotStore } from '@airlock/testing';
import { createAccessTokenVerifier, TokenError } from '../src/index.js';
import type { AccessTokenVerifier, AccessTokenVerifierOptions } from '../src/index.js';
import { startTestIssuer } from '../src/testing/index.js';
import type { TestIssuer } from '../src/testing/index.js';

const AUDIENCE = 'https://mcp.example.test/t/acme/mcp';

describe('access token verifier', () => {
  let issuer: TestIssuer;
  let hot: HotStore;
  const verifiers: AccessTokenVerifier[] = [];

  const newVerifier = (overrides: Partial<AccessTokenVerifierOptions> = {}) => {
    const verifier = createAccessTokenVerifier({ issuerBaseUrl: issuer.baseUrl, hot, ...overrides });
    verifiers.push(verifier);
    return verifier;
  };

  async function refusal(promise: Promise<unknown>): Promise<TokenError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  }

  beforeAll(async () => {
    issuer = await startTestIssuer();
    hot = createTestHotStore();
    await issuer.addKey('acme', { alg: 'RS256', kid: 'acme-rs' });
    await issuer.addKey('acme', { alg: 'ES256', kid: 'acme-es' });
    await issuer.addKey('globex', { alg: 'ES256', kid: 'globex-es' });
  });

  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  });

  afterAll(async () => {
    await issuer.close();
    await hot.close();
  });

  it('accepts ES256 and RS256 access tokens of the tenant and returns their claims', async () => {
    const verifier = newVerifier();
    const es = await issuer.mint('acme', { audience: AUDIENCE, kid: 'acme-es', scope: 'mcp files:read', grantId: 'g-1', subject: 'alice' });
    const claims = await verifier.verify(es, { tenant: 'acme', audience: AUDIENCE, requiredScopes: ['mcp'] });
    expect(claims).toMatchObject({ iss: issuer.issuer('acme'), sub: 'alice', aud: AUDIENCE, grant_id: 'g-1', scope: 'mcp files:read' });
    const rs = await issuer.mint('acme', { audience: AUDIENCE, kid: 'acme-rs' });
    await expect(verifier.verify(rs, { tenant: 'acme', audience: AUDIENCE })).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses algorithms outside ES256/RS256, even with a published key', async () => {
    const verifier = newVerifier();
    await issuer.addKey('algs', { alg: 'PS256', kid: 'algs-ps' });
    const ps = await issuer.mint('algs', { audience: AUDIENCE });
    const error = await refusal(verifier.verify(ps, { tenant: 'algs', audience: AUDIENCE }));
    expect(error.code).toBe('invalid_token');
    expect(error.description).toMatch(/algorithm/);
    // An unsigned token (alg none) is refused too.
    const [, payload] = ps.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    expect((await refusal(verifier.verify(none, { tenant: 'algs', audience: AUDIENCE }))).code).toBe('invalid_token');
  });

  it('refuses a token whose typ is not at+jwt (an ID token, say)', async () => {
    const verifier = newVerifier();
    for (const typ of ['JWT', 'application/jwt']) {
      const token = await issuer.mint('acme', { audience: AUDIENCE, typ });
      const error = await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE }));
      expect(error.code).toBe('invalid_token');
      expect(error.status).toBe(401);
    }
  });

  it('refuses a wrong issuer and another tenant\'s token', async () => {
    const verifier = newVerifier();
    const foreignIssuer = await issuer.mint('acme', { audience: AUDIENCE, issuer: `${issuer.baseUrl}/t/acme/` });
    expect((await refusal(verifier.verify(foreignIssuer, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/not issued by this tenant/);
    const globexToken = await issuer.mint('globex', { audience: AUDIENCE });
    expect((await refusal(verifier.verify(globexToken, { tenant: 'acme', audience: AUDIENCE }))).code).toBe('invalid_token');
  });

  it('refuses a token signed with another tenant\'s key even when it names this tenant\'s issuer', async () => {
    const verifier = newVerifier();
    const forged = await issuer.mint('acme', { audience: AUDIENCE, signingTenant: 'globex' });
    const error = await refusal(verifier.verify(forged, { tenant: 'acme', audience: AUDIENCE }));
    expect(error.code).toBe('invalid_token');
    expect(error.description).toMatch(/not signed by a key of this tenant/);
  });

  it('refuses a wrong audience and a token for several audiences', async () => {
    const verifier = newVerifier();
    const other = await issuer.mint('acme', { audience: 'https://mcp.example.test/t/acme/servers/github/mcp' });
    expect((await refusal(verifier.verify(other, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/not meant for this resource/);
    const several = await issuer.mint('acme', { audience: [AUDIENCE, 'https://elsewhere.test'] });
    expect((await refusal(verifier.verify(several, { tenant: 'acme', audience: AUDIENCE }))).code).toBe('invalid_token');
  });

  it('refuses an expired token, allowing the configured clock skew', async () => {
    const verifier = newVerifier({ clockSkewSeconds: 30 });
    const expired = await issuer.mint('acme', { audience: AUDIENCE, expiresInSeconds: -120 });
    expect((await refusal(verifier.verify(expired, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/expired/);
    const withinSkew = await issuer.mint('acme', { audience: AUDIENCE, expiresInSeconds: -5 });
    await expect(verifier.verify(withinSkew, { tenant: 'acme', audience: AUDIENCE })).resolves.toBeDefined();
  });

  it('answers insufficient_scope naming the scopes that are missing', async () => {
    const verifier = newVerifier();
    const token = await issuer.mint('acme', { audience: AUDIENCE, scope: 'mcp' });
    const error = await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE, requiredScopes: ['mcp', 'files:write'] }));
    expect(error.code).toBe('insufficient_scope');
    expect(error.status).toBe(403);
    expect(error.requiredScopes).toEqual(['mcp', 'files:write']);
  });

  it('a token verified once still gets the audience, scope, expiry and revocation checks on every later call', async () => {
    const verifier = newVerifier({ clockSkewSeconds: 0 });
    await verifier.start();
    const token = await issuer.mint('acme', { audience: AUDIENCE, scope: 'mcp', grantId: 'g-cached', expiresInSeconds: 2 });
    await expect(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE })).resolves.toMatchObject({ grant_id: 'g-cached' });
    expect((await refusal(verifier.verify(token, { tenant: 'acme', audience: 'https://mcp.example.test/t/acme/servers/github/mcp' }))).description).toMatch(/not meant for this resource/);
    expect((await refusal(verifier.verify(token, { tenant: 'globex', audience: AUDIENCE }))).code).toBe('invalid_token');
    expect((await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE, requiredScopes: ['files:write'] }))).code).toBe('insufficient_scope');
    await expect(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE, requiredScopes: ['mcp'] })).resolves.toBeDefined();
    await vi.waitFor(async () => expect((await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/expired/), { timeout: 5_000, interval: 100 });

    const revokedLater = await issuer.mint('acme', { audience: AUDIENCE, grantId: 'g-cached-2' });
    await verifier.verify(revokedLater, { tenant: 'acme', audience: AUDIENCE });
    const event: GrantRevokedEvent = { tenant: 'acme', grantId: 'g-cached-2', reason: 'user_revoked', notAfter: Math.floor(Date.now() / 1000) + 600 };
    await hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify(event));
    await vi.waitFor(() => expect(verifier.isGrantRevoked('acme', 'g-cached-2')).toBe(true), { timeout: 2_000, interval: 10 });
    expect((await refusal(verifier.verify(revokedLater, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/revoked/);
  });

  it('refetches the JWKS for an unknown kid (key rotation), at most once per cooldown', async () => {
    await issuer.addKey('rotating', { kid: 'r1' });
    const verifier = newVerifier({ jwksCooldownMs: 0 });
    await verifier.verify(await issuer.mint('rotating', { audience: AUDIENCE }), { tenant: 'rotating', audience: AUDIENCE });
    expect(issuer.jwksFetches('rotating')).toBe(1);
    await issuer.addKey('rotating', { kid: 'r2' });
    await verifier.verify(await issuer.mint('rotating', { audience: AUDIENCE }), { tenant: 'rotating', audience: AUDIENCE });
    expect(issuer.jwksFetches('rotating')).toBe(2);

    // With the default cooldown, a flood of unknown kids costs one fetch, not one per token.
    await issuer.addKey('limited', { kid: 'l1' });
    const limited = newVerifier();
    await limited.verify(await issuer.mint('limited', { audience: AUDIENCE }), { tenant: 'limited', audience: AUDIENCE });
    await issuer.addKey('limited', { kid: 'l2', published: false });
    const unknownKid = await issuer.mint('limited', { audience: AUDIENCE });
    for (let i = 0; i < 5; i++) {
      expect((await refusal(limited.verify(unknownKid, { tenant: 'limited', audience: AUDIENCE }))).code).toBe('invalid_token');
    }
    expect(issuer.jwksFetches('limited')).toBe(1);
  });

  it('treats an unknown tenant as an invalid token and does not refetch per request', async () => {
    const verifier = newVerifier();
    const token = await issuer.mint('acme', { audience: AUDIENCE });
    for (let i = 0; i < 3; i++) expect((await refusal(verifier.verify(token, { tenant: 'nobody', audience: AUDIENCE }))).code).toBe('invalid_token');
    expect(issuer.jwksFetches('nobody')).toBe(1);
    expect((await refusal(verifier.verify(token, { tenant: '../acme', audience: AUDIENCE }))).code).toBe('invalid_token');
  });

  it('answers temporarily_unavailable (503) when the JWKS cannot be fetched, and recovers', async () => {
    await issuer.addKey('flaky', { kid: 'f1' });
    const verifier = newVerifier();
    const token = await issuer.mint('flaky', { audience: AUDIENCE });
    issuer.setDown(true);
    try {
      const error = await refusal(verifier.verify(token, { tenant: 'flaky', audience: AUDIENCE }));
      expect(error.code).toBe('temporarily_unavailable');
      expect(error.status).toBe(503);
    } finally {
      issuer.setDown(false);
    }
    await vi.waitFor(() => verifier.verify(token, { tenant: 'flaky', audience: AUDIENCE }), { timeout: 5_000, interval: 250 });
  });

  it('refuses tokens of a grant revoked before start (markers in the hot store) until notAfter', async () => {
    const now = Math.floor(Date.now() / 1000);
    const live: GrantRevokedEvent = { tenant: 'acme', grantId: 'g-preloaded', reason: 'user_revoked', notAfter: now + 600 };
    const gone: GrantRevokedEvent = { tenant: 'acme', grantId: 'g-old', reason: 'user_revoked', notAfter: now - 1 };
    await hot.set(revokedGrantKey('acme', live.grantId), JSON.stringify(live), { ttlMs: 600_000 });
    await hot.set(revokedGrantKey('acme', gone.grantId), JSON.stringify(gone), { ttlMs: 600_000 });
    // The auth server may store just the reason, with a TTL until the grant's last token expires.
    await hot.set(revokedGrantKey('acme', 'g-reason-only'), 'user_revoked', { ttlMs: 600_000 });
    const verifier = newVerifier();
    await verifier.start();
    const revoked = await issuer.mint('acme', { audience: AUDIENCE, grantId: 'g-preloaded' });
    expect((await refusal(verifier.verify(revoked, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/revoked/);
    const reasonOnly = await issuer.mint('acme', { audience: AUDIENCE, grantId: 'g-reason-only' });
    expect((await refusal(verifier.verify(reasonOnly, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/revoked/);
    // Same grant id in another tenant is a different grant.
    await expect(verifier.verify(await issuer.mint('globex', { audience: AUDIENCE, grantId: 'g-preloaded' }), { tenant: 'globex', audience: AUDIENCE })).resolves.toBeDefined();
    await expect(verifier.verify(await issuer.mint('acme', { audience: AUDIENCE, grantId: 'g-old' }), { tenant: 'acme', audience: AUDIENCE })).resolves.toBeDefined();
  });

  it('a revocation published on the channel reaches two verifiers within a second, with no per-request lookup', async () => {
    const first = newVerifier();
    const second = newVerifier();
    await Promise.all([first.start(), second.start()]);
    const token = await issuer.mint('acme', { audience: AUDIENCE, grantId: 'g-live' });
    await first.verify(token, { tenant: 'acme', audience: AUDIENCE });
    await second.verify(token, { tenant: 'acme', audience: AUDIENCE });

    const event: GrantRevokedEvent = { tenant: 'acme', grantId: 'g-live', reason: 'token_replayed', notAfter: Math.floor(Date.now() / 1000) + 600 };
    await hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify(event));
    await vi.waitFor(
      () => {
        expect(first.isGrantRevoked('acme', 'g-live')).toBe(true);
        expect(second.isGrantRevoked('acme', 'g-live')).toBe(true);
      },
      { timeout: 1_000, interval: 10 },
    );
    for (const verifier of [first, second]) {
      expect((await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/revoked/);
    }
  });

  it('ignores malformed revocation messages', async () => {
    const verifier = newVerifier();
    await verifier.start();
    await hot.publish(GRANT_REVOKED_CHANNEL, 'not json');
    await hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify({ tenant: 'acme' }));
    const token = await issuer.mint('acme', { audience: AUDIENCE, grantId: 'g-fine' });
    await expect(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE })).resolves.toBeDefined();
  });
});
