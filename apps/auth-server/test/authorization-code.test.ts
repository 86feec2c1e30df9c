import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { aggregatedMcpUrl, CATALOG_CHANGED_CHANNEL, revokedGrantKey, serverMcpUrl } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow, REDIRECT, type RegisteredClient } from './support/oauth-flow.js';

// The authorization-code grant over real HTTP, through the real login and consent pages: PKCE, replay,
// refresh rotation and reuse, concurrent redemption, audiences, tenant isolation, redirect safety.

const USER = { email: 'alice@example.com', password: 'correct horse battery staple' };

let server: AuthServerHarness;
let demo: OAuthFlow;
let other: OAuthFlow;
let resource: string;

const gateway = (tenant: string) => ({ id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, tenant) });

async function introspect(tenant: string, token: string): Promise<Record<string, unknown>> {
  const { status, json } = await postForm(`${server.url}/t/${tenant}/token/introspection`, { token }, gateway(tenant));
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  // Side effects of a lost race run after the losing response; wait for them by condition, not by time.
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function grantRevoked(tenant: string, grantId: string): Promise<boolean> {
  const marker = await server.hot.get(revokedGrantKey(tenant, grantId));
  const { rowCount } = await server.infra.pg.query('SELECT 1 FROM revoked_grants WHERE grant_id = $1', [grantId]);
  return marker !== undefined && marker !== null && rowCount === 1;
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  await server.createTenant('other');
  for (const slug of ['demo', 'other']) await server.createUser(slug, USER.email, USER.password);
  demo = new OAuthFlow(server.url, 'demo', USER);
  other = new OAuthFlow(server.url, 'other', USER);
  resource = aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo');
});
afterAll(async () => {
  await server?.close();
});

describe('one browser, one client, two resources', () => {
  it('approves each resource with a grant of its own, so both consents are remembered and revocable apart', async () => {
    const tenant = await server.tenant('demo');
    await server.infra.pg.query(
      "INSERT INTO upstream_servers (id, tenant_id, name, transport, url, updated_at) VALUES (gen_random_uuid(), $1, 'two-resources', 'http', 'http://127.0.0.1:9/mcp', now())",
      [tenant.id],
    );
    await server.hot.publish(CATALOG_CHANGED_CHANNEL, JSON.stringify({ tenant: 'demo' }));
    const second = serverMcpUrl(server.config.gatewayPublicUrl, 'demo', 'two-resources');
    const client = await demo.register();
    const jar = new CookieJar();
    const audiences: string[] = [];
    const grants: string[] = [];
    for (const target of [resource, second]) {
      const { code, verifier } = await demo.code(jar, client, { resource: target });
      const { status, json } = await demo.redeem(client, code, verifier, { resource: target });
      expect(status, JSON.stringify(json)).toBe(200);
      const claims = decodeJwt(json['access_token'] as string);
      audiences.push(claims.aud as string);
      grants.push(claims['grant_id'] as string);
    }
    expect(audiences).toEqual([resource, second]);
    expect(new Set(grants).size).toBe(2);
    const { rows } = await server.infra.pg.query<{ resource: string }>(
      'SELECT resource FROM consents WHERE client_id = $1 AND revoked_at IS NULL ORDER BY resource',
      [client.clientId],
    );
    expect(rows.map((row) => row.resource).sort()).toEqual([resource, second].sort());
  });
});

describe('PKCE', () => {
  let client: RegisteredClient;
  let confidential: RegisteredClient;
  beforeAll(async () => {
    client = await demo.register();
    confidential = await demo.register({ token_endpoint_auth_method: 'client_secret_basic' });
  });

  it.each([
    ['missing', { code_challenge: undefined, code_challenge_method: undefined }],
    ['plain', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
    ['without a method', { code_challenge_method: undefined }],
  ])('refuses an authorization request with PKCE %s, at the registered redirect URI', async (_name, params) => {
    for (const registered of [client, confidential]) {
      const { callback } = await demo.authorize(new CookieJar(), registered, params);
      expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
      expect(callback.searchParams.get('error')).toBe('invalid_request');
      expect(callback.searchParams.get('code')).toBeNull();
      expect(callback.searchParams.get('iss')).toBe(demo.issuer);
      expect(callback.searchParams.get('state')).toBe('state-1');
    }
  });

  it('refuses a code redeemed without the verifier, with a wrong one, or with the challenge itself (downgrade)', async () => {
    for (const registered of [client, confidential]) {
      const jar = new CookieJar();
      const { code, verifier } = await demo.code(jar, registered);
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      for (const attempt of [undefined, `${verifier}x`, challenge]) {
        const { status, json } = await demo.redeem(registered, code, attempt);
        expect(status).toBe(400);
        expect(json['error']).toBe('invalid_grant');
      }
    }
  });

  it('issues an RFC 9068 access token bound to one resource, with grant_id, for the right verifier', async () => {
    const tokens = await demo.tokens(client, { resource });
    const token = String(tokens['access_token']);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${demo.issuer}/jwks`)), { issuer: demo.issuer, audience: resource, typ: 'at+jwt' });
    expect(payload.aud).toBe(resource);
    expect(payload['client_id']).toBe(client.clientId);
    expect(typeof payload['grant_id']).toBe('string');
    expect(payload['scope']).toBe('mcp');
    expect(typeof tokens['refresh_token']).toBe('string');
  });
});

describe('a request without scope (the MCP spec allows it)', () => {
  it('gets the resource default scopes and the flow stays under the tenant issuer', async () => {
    const client = await demo.register();
    const tokens = await demo.tokens(client, { resource, scope: undefined });
    expect(decodeJwt(String(tokens['access_token']))).toMatchObject({ aud: resource, scope: 'mcp' });
    // No resource either: the tenant's aggregated MCP endpoint.
    const bare = await demo.tokens(client, { scope: undefined });
    expect(decodeJwt(String(bare['access_token']))).toMatchObject({ aud: resource, scope: 'mcp' });
  });
});

describe('code replay', () => {
  it('refuses a second redemption and revokes the grant and every token from it', async () => {
    const client = await demo.register();
    const { code, verifier } = await demo.code(new CookieJar(), client, { resource });
    const first = await demo.redeem(client, code, verifier);
    expect(first.status).toBe(200);
    const accessToken = String(first.json['access_token']);
    const grantId = String(decodeJwt(accessToken)['grant_id']);
    expect((await introspect('demo', accessToken))['active']).toBe(true);

    const replay = await demo.redeem(client, code, verifier);
    expect(replay.status).toBe(400);
    expect(replay.json['error']).toBe('invalid_grant');

    expect((await introspect('demo', accessToken))['active']).toBe(false);
    const refreshed = await demo.refresh(client, String(first.json['refresh_token']));
    expect(refreshed.json['error']).toBe('invalid_grant');
    await eventually(() => grantRevoked('demo', grantId), 'revoked-grant marker and row');
  });

  it('gives exactly one of twenty parallel redemptions of one code a token', async () => {
    const client = await demo.register();
    const { code, verifier } = await demo.code(new CookieJar(), client, { resource });
    const results = await Promise.all(Array.from({ length: 20 }, () => demo.redeem(client, code, verifier)));
    const winners = results.filter((result) => result.status === 200);
    expect(winners, JSON.stringify(results.map((result) => result.json['error_description'] ?? result.status))).toHaveLength(1);
    for (const loser of results.filter((result) => result.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.json['error']).toBe('invalid_grant');
    }
    // The losers were replays: the grant dies with them (OAuth 2.1 4.1.3).
    const grantId = String(decodeJwt(String(winners[0]!.json['access_token']))['grant_id']);
    await eventually(() => grantRevoked('demo', grantId), 'grant revoked after concurrent replay');
    await eventually(async () => (await introspect('demo', String(winners[0]!.json['access_token'])))['active'] === false, 'winner token inactive');
  });
});

describe('refresh tokens', () => {
  it('rotates a public client refresh token; reusing the old one revokes the whole family', async () => {
    const client = await demo.register();
    const tokens = await demo.tokens(client, { resource });
    const rotated = await demo.refresh(client, String(tokens['refresh_token']));
    expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
    expect(rotated.json['refresh_token']).not.toBe(tokens['refresh_token']);
    expect(decodeJwt(String(rotated.json['access_token'])).aud).toBe(resource);

    const reuse = await demo.refresh(client, String(tokens['refresh_token']));
    expect(reuse.status).toBe(400);
    expect(reuse.json['error']).toBe('invalid_grant');
    // The family: the rotated refresh token and the access tokens from it are dead too.
    const next = await demo.refresh(client, String(rotated.json['refresh_token']));
    expect(next.json['error']).toBe('invalid_grant');
    expect((await introspect('demo', String(rotated.json['access_token'])))['active']).toBe(false);
    const grantId = String(decodeJwt(String(tokens['access_token']))['grant_id']);
    await eventually(() => grantRevoked('demo', grantId), 'family revoked');
  });

  it('gives exactly one of twenty parallel redemptions of one refresh token a token', async () => {
    const client = await demo.register();
    const tokens = await demo.tokens(client, { resource });
    const results = await Promise.all(Array.from({ length: 20 }, () => demo.refresh(client, String(tokens['refresh_token']))));
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    for (const loser of results.filter((result) => result.status !== 200)) expect(loser.json['error']).toBe('invalid_grant');
  });

  it('keeps a refresh token bound to the granted resource', async () => {
    const client = await demo.register();
    const tokens = await demo.tokens(client, { resource });
    const elsewhere = await demo.refresh(client, String(tokens['refresh_token']), { resource: 'https://evil.example/mcp' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json['error']).toBe('invalid_target');
  });
});

describe('audiences (RFC 8707)', () => {
  it('refuses an authorization request for a resource the tenant does not serve, at the redirect URI', async () => {
    const client = await demo.register();
    for (const target of ['https://evil.example/mcp', aggregatedMcpUrl(server.config.gatewayPublicUrl, 'other')]) {
      const { callback } = await demo.authorize(new CookieJar(), client, { resource: target });
      expect(callback.searchParams.get('error')).toBe('invalid_target');
      expect(callback.searchParams.get('iss')).toBe(demo.issuer);
    }
  });

  it('refuses a code redeemed for another resource than the one granted', async () => {
    const client = await demo.register();
    const { code, verifier } = await demo.code(new CookieJar(), client, { resource });
    const { status, json } = await demo.redeem(client, code, verifier, { resource: aggregatedMcpUrl(server.config.gatewayPublicUrl, 'other') });
    expect(status).toBe(400);
    expect(json['error']).toBe('invalid_target');
  });

  it('gives an end-user client no token for the session store, and the gateway no MCP token', async () => {
    const client = await demo.register();
    const { callback } = await demo.authorize(new CookieJar(), client, { resource: `${server.config.sessionStoreUrl}/v1` });
    expect(callback.searchParams.get('error')).toBe('invalid_target');
    const gatewayMcp = await postForm(`${demo.issuer}/token`, { grant_type: 'client_credentials', resource }, gateway('demo'));
    expect(gatewayMcp.json['error']).toBe('invalid_target');
  });
});

describe('tenant isolation', () => {
  it('does not know one tenant’s client in another', async () => {
    const client = await demo.register();
    const response = await other.authorizeRequest(new CookieJar(), {
      client_id: client.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('invalid_client');
  });

  it('does not redeem one tenant’s code or refresh token at another', async () => {
    const client = await demo.register();
    const { code, verifier } = await demo.code(new CookieJar(), client, { resource });
    const crossCode = await other.redeem(client, code, verifier);
    expect(crossCode.json['error']).toBe('invalid_client');
    const tokens = await demo.tokens(client, { resource });
    const crossRefresh = await other.refresh(client, String(tokens['refresh_token']));
    expect(crossRefresh.json['error']).toBe('invalid_client');
    // The code is untouched by the foreign attempt.
    expect((await demo.redeem(client, code, verifier)).status).toBe(200);
  });

  it('does not accept one tenant’s token or keys in another', async () => {
    const client = await demo.register();
    const tokens = await demo.tokens(client, { resource });
    const token = String(tokens['access_token']);
    expect((await introspect('other', token))['active']).toBe(false);
    const otherJwks = createRemoteJWKSet(new URL(`${other.issuer}/jwks`));
    await expect(jwtVerify(token, otherJwks)).rejects.toThrow();
    const demoKids = ((await (await fetch(`${demo.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const otherKids = ((await (await fetch(`${other.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    expect(demoKids.filter((kid) => otherKids.includes(kid))).toEqual([]);
    const revoke = await postForm(`${other.issuer}/token/revocation`, { token }, gateway('other'));
    expect(revoke.status).toBe(200);
    expect((await introspect('demo', token))['active']).toBe(true);
  });
});

describe('redirects', () => {
  let client: RegisteredClient;
  beforeAll(async () => {
    client = await demo.register();
  });

  it.each([
    ['unregistered', 'https://evil.example/callback'],
    ['with an extra query', `${REDIRECT}?x=1`],
    ['with a different port', 'http://127.0.0.1:10/callback'],
    ['with a different path', 'http://127.0.0.1:9/callback/evil'],
    ['with a trailing slash', `${REDIRECT}/`],
  ])('never redirects to a redirect URI %s, even with an error to report', async (_name, redirectUri) => {
    for (const extra of [{}, { code_challenge_method: 'plain' }, { resource: 'https://evil.example/mcp' }]) {
      const response = await demo.authorizeRequest(new CookieJar(), {
        client_id: client.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        ...extra,
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      const html = await response.text();
      expect(html).toContain('redirect_uri');
      expect(html).not.toContain('evil.example/callback"');
    }
  });

  it('never redirects for an unknown client, and refuses response types other than code', async () => {
    const unknown = await demo.authorizeRequest(new CookieJar(), { client_id: 'nope', redirect_uri: REDIRECT, response_type: 'code' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
    for (const responseType of ['token', 'code token', 'id_token']) {
      const { callback } = await demo.authorize(new CookieJar(), client, { response_type: responseType });
      expect(`${callback.origin}${callback.pathname}`, callback.href).toBe(REDIRECT);
      // Implicit-style types answer in the fragment, as their response mode says.
      const answer = new URLSearchParams(callback.hash.slice(1) || callback.search);
      expect(answer.get('error'), callback.href).toBe('unsupported_response_type');
      expect(answer.get('iss')).toBe(demo.issuer);
    }
  });

  it('sends login_required for prompt=none without a session to the registered redirect URI, with iss', async () => {
    const jar = new CookieJar();
    const { callback } = await demo.authorize(jar, client, { prompt: 'none' });
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('iss')).toBe(demo.issuer);
  });
});
