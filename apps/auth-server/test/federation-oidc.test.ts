import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { identityProviderSecretContext } from '@airlock/contracts';
import { sealSecret } from '@airlock/platform';
import { ScimTokensRepository } from '../src/scim/scim-tokens.repository.js';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { browse, CookieJar, formFor, pkce } from './support/browser.js';
import { startEnterpriseIdp, type EnterpriseIdp, type IdTokenTamper } from './support/enterprise-idp.js';
import { OAuthFlow, REDIRECT, type RegisteredClient } from './support/oauth-flow.js';

// Federation through a real, independent OpenID provider (a second oidc-provider on its own port),
// over real HTTP with browser-like form posts: Airlock's login page -> home-realm discovery -> the
// IdP's login form -> Airlock's callback -> consent -> code -> tokens. And what must be refused.

const PROVIDER_SLUG = 'corp';
let server: AuthServerHarness;
let idp: EnterpriseIdp;
let demo: OAuthFlow;
let client: RegisteredClient;
let tenantId: string;
let providerId: string;

async function setProvider(changes: { enabled?: boolean; localPasswords?: boolean } = {}): Promise<void> {
  await server.infra.pg.query('UPDATE identity_providers SET enabled = $2, updated_at = now() WHERE id = $1', [providerId, changes.enabled ?? true]);
  await server.infra.pg.query('UPDATE tenants SET local_passwords_enabled = $2 WHERE id = $1', [tenantId, changes.localPasswords ?? true]);
}

/** Follows the IdP's redirects and submits its login form; returns the first URL outside the IdP. */
async function throughIdp(jar: CookieJar, start: string, username: string, password: string): Promise<URL> {
  let response = await browse(jar, start);
  for (let step = 0; step < 10; step++) {
    if (response.status === 302 || response.status === 303) {
      const location = new URL(response.headers.get('location')!, idp.issuer);
      if (location.origin !== idp.issuer) return location;
      response = await browse(jar, location.href);
      continue;
    }
    const html = await response.text();
    expect(response.status, html.slice(0, 300)).toBe(200);
    const form = formFor(html, '/login');
    response = await browse(jar, new URL(form.action, idp.issuer).href, { form: { username, password } });
  }
  throw new Error('the IdP did not send the browser back');
}

interface Attempt {
  /** Airlock's callback URL as the IdP redirected to it. */
  callback: URL;
  jar: CookieJar;
  verifier: string;
}

/** From the client's authorization request to the IdP's redirect back to Airlock (not yet followed). */
async function toCallback(email: string, username: string, password = 'idp-password', scope = 'openid mcp'): Promise<Attempt> {
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const first = await demo.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 'client-state', scope });
  const page = await browse(jar, new URL(first.headers.get('location')!, server.url).href);
  const login = formFor(await page.text(), '/login');
  // Home-realm discovery: the email alone sends the browser to the provider of its domain.
  const hrd = await browse(jar, `${server.url}${login.action}`, { form: { ...login.fields, email, password: '' } });
  expect(hrd.status).toBe(303);
  const authorize = new URL(hrd.headers.get('location')!);
  expect(authorize.origin).toBe(idp.issuer);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  expect(authorize.searchParams.get('login_hint')).toBe(email);
  expect(authorize.searchParams.has('resource')).toBe(false);
  const callback = await throughIdp(new CookieJar(), authorize.href, username, password);
  expect(callback.pathname).toBe(`/t/demo/federation/${PROVIDER_SLUG}/callback`);
  return { callback, jar, verifier };
}

/** Follows Airlock's callback through consent to the client; returns the client's redirect. */
async function finish(attempt: Attempt): Promise<URL> {
  const response = await browse(attempt.jar, attempt.callback.href);
  if (response.status !== 303) throw Object.assign(new Error(`callback answered ${response.status}`), { status: response.status, body: await response.text() });
  return demo.follow(attempt.jar, new URL(response.headers.get('location')!, server.url).href);
}

async function signIn(email: string, username: string, scope?: string): Promise<Record<string, unknown>> {
  const attempt = await toCallback(email, username, 'idp-password', scope);
  const redirect = await finish(attempt);
  expect(redirect.searchParams.get('error'), redirect.href).toBeNull();
  const { status, json } = await demo.redeem(client, redirect.searchParams.get('code')!, attempt.verifier);
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

async function refusedCallback(tamper: IdTokenTamper): Promise<{ status: number; body: string }> {
  idp.tamper = tamper;
  try {
    const attempt = await toCallback('ada@corp.example', 'ada');
    const response = await browse(attempt.jar, attempt.callback.href);
    return { status: response.status, body: await response.text() };
  } finally {
    idp.tamper = 'honest';
  }
}

beforeAll(async () => {
  // The IdP listens on loopback: the operator's egress allow-list must name it, as for upstreams.
  server = await startAuthServerHarness({ AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32' });
  tenantId = (await server.tenant('demo')).id;
  idp = await startEnterpriseIdp({ redirectUri: `${server.url}/t/demo/federation/${PROVIDER_SLUG}/callback` });
  idp.users.set('ada', { password: 'idp-password', email: 'ada@corp.example', emailVerified: true, name: 'Ada Lovelace', groups: ['mcp-finance', 'staff'] });
  idp.users.set('grace', { password: 'idp-password', email: 'grace@corp.example', emailVerified: true, name: 'Grace Hopper', groups: [] });
  idp.users.set('mallory', { password: 'idp-password', email: 'local@corp.example', emailVerified: true, name: 'Mallory', groups: [] });
  // Provisioned by the tenant's SCIM client before their first sign-in; the IdP's subject is the SCIM externalId.
  idp.users.set('00u-dana', { password: 'idp-password', email: 'dana@corp.example', emailVerified: true, name: 'Dana Scully', groups: [] });
  providerId = randomUUID();
  const config = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email', 'profile', 'groups'] };
  const sealed = sealSecret(server.infra.masterKey, JSON.stringify({ clientSecret: idp.clientSecret }), identityProviderSecretContext(tenantId, providerId));
  await server.infra.pg.query(
    `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, preset, email_domains, config, secrets_encrypted, updated_at)
     VALUES ($1, $2, $3, 'oidc', 'Corp SSO', 'generic', $4, $5, $6, now())`,
    [providerId, tenantId, PROVIDER_SLUG, ['corp.example'], JSON.stringify(config), sealed],
  );
  // Group mappings (see 'group mappings govern token scopes'). Tools: `ledger` needs finance:read and
  // `post_entry` finance:write (governed: mappings name them), `wiki` docs:read (no mapping names it).
  const serverId = randomUUID();
  await server.infra.pg.query(`INSERT INTO upstream_servers (id, tenant_id, name, transport, url, updated_at) VALUES ($1, $2, 'books', 'http', 'https://books.example/mcp', now())`, [serverId, tenantId]);
  await server.infra.pg.query(
    `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES
      (gen_random_uuid(), $1, $2, 'ledger', '{mcp,finance:read}', now()),
      (gen_random_uuid(), $1, $2, 'post_entry', '{mcp,finance:write}', now()),
      (gen_random_uuid(), $1, $2, 'wiki', '{mcp,docs:read}', now())`,
    [tenantId, serverId],
  );
  await server.infra.pg.query(`INSERT INTO group_mappings (id, tenant_id, provider_id, group_name, scopes) VALUES (gen_random_uuid(), $1, $2, 'mcp-finance', '{finance:read}')`, [tenantId, providerId]);
  // A mapping for another provider: the same group name asserted by Corp SSO does not count for it.
  const otherProviderId = randomUUID();
  await server.infra.pg.query(`INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, updated_at) VALUES ($1, $2, 'other', 'oidc', 'Other', now())`, [otherProviderId, tenantId]);
  await server.infra.pg.query(`INSERT INTO group_mappings (id, tenant_id, provider_id, group_name, scopes) VALUES (gen_random_uuid(), $1, $2, 'staff', '{finance:write}')`, [tenantId, otherProviderId]);
  await server.createUser('demo', 'local@corp.example', 'correct horse battery staple');
  await server.createUser('demo', 'ops@elsewhere.example', 'correct horse battery staple');
  demo = new OAuthFlow(server.url, 'demo', { email: 'local@corp.example', password: 'correct horse battery staple' });
  client = await demo.register();
});
afterAll(async () => {
  await idp?.close();
  await server?.close();
});
beforeEach(async () => {
  await setProvider();
});

describe('sign-in through an enterprise OpenID provider', () => {
  it('provisions the user just in time, then links later sign-ins by issuer and subject', async () => {
    const tokens = await signIn('ada@corp.example', 'ada');
    const { rows } = await server.infra.pg.query<{ user_id: string; issuer: string; subject: string; groups: string[]; email: string }>(
      'SELECT f.user_id, f.issuer, f.subject, f.groups, u.email FROM federated_identities f JOIN users u ON u.id = f.user_id WHERE f.provider_id = $1 AND f.subject = $2',
      [providerId, 'ada'],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ issuer: idp.issuer, subject: 'ada', email: 'ada@corp.example', groups: ['mcp-finance', 'staff'] });
    expect(decodeJwt(String(tokens['id_token'])).sub).toBe(rows[0]!.user_id);

    // The IdP drops a group: same user, and the link holds only what was asserted this time.
    idp.users.get('ada')!.groups = ['staff'];
    const again = await signIn('ada@corp.example', 'ada');
    expect(decodeJwt(String(again['id_token'])).sub).toBe(rows[0]!.user_id);
    const after = await server.infra.pg.query<{ groups: string[] }>('SELECT groups FROM federated_identities WHERE subject = $1', ['ada']);
    expect(after.rows[0]!.groups).toEqual(['staff']);
    idp.users.get('ada')!.groups = ['mcp-finance', 'staff'];
  });

  it('starts from the provider button too, and shows it on the login page', async () => {
    const jar = new CookieJar();
    const { challenge } = pkce();
    const first = await demo.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', scope: 'mcp' });
    const html = await (await browse(jar, new URL(first.headers.get('location')!, server.url).href)).text();
    expect(html).toContain('Sign in with Corp SSO');
    const button = formFor(html, `/federation/${PROVIDER_SLUG}`);
    const started = await browse(jar, `${server.url}${button.action}`, { form: button.fields });
    expect(started.status).toBe(303);
    expect(new URL(started.headers.get('location')!).origin).toBe(idp.issuer);
    // Without the interaction's cookie (another browser), the button does nothing.
    const stranger = await browse(new CookieJar(), `${server.url}${button.action}`, { form: button.fields });
    expect(stranger.status).toBe(403);
  });
});

describe('group mappings govern token scopes', () => {
  const SCOPES = 'openid mcp finance:read docs:read';
  const scopesOf = (tokens: Record<string, unknown>) => String(decodeJwt(String(tokens['access_token']))['scope']).split(' ').sort();

  it('grants a governed scope only through a current group, at sign-in and at refresh; ungoverned scopes as before', async () => {
    idp.users.get('ada')!.groups = ['mcp-finance', 'staff'];
    const first = await signIn('ada@corp.example', 'ada', SCOPES);
    expect(scopesOf(first)).toEqual(['docs:read', 'finance:read', 'mcp']);
    expect(decodeJwt(String(first['access_token']))).toMatchObject({ aud: aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo'), groups: ['mcp-finance', 'staff'] });

    // Grace is in no mapped group: same request, no finance:read, and the consent page never offered it.
    const grace = await signIn('grace@corp.example', 'grace', SCOPES);
    expect(scopesOf(grace)).toEqual(['docs:read', 'mcp']);
    const { rows: consents } = await server.infra.pg.query<{ scopes: string[] }>(
      `SELECT c.scopes FROM consents c JOIN federated_identities f ON f.user_id = c.user_id WHERE f.subject = 'grace' AND c.revoked_at IS NULL`,
    );
    expect(consents.flatMap((row) => row.scopes)).not.toContain('finance:read');

    // The IdP removes ada from mcp-finance. Her refresh token still carries it until Airlock hears of the
    // change (the provider's groups arrive with a sign-in, SCIM's at once)...
    idp.users.get('ada')!.groups = ['staff'];
    const refreshed = await demo.refresh(client, String(first['refresh_token']));
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    expect(scopesOf(refreshed.json)).toContain('finance:read');
    // ...her next sign-in records it: that token lacks the scope, and so does every later refresh of the first grant.
    const second = await signIn('ada@corp.example', 'ada', SCOPES);
    expect(scopesOf(second)).toEqual(['docs:read', 'mcp']);
    expect(String(second['scope']).split(' ')).not.toContain('finance:read');
    const after = await demo.refresh(client, String(refreshed.json['refresh_token']));
    expect(after.status, JSON.stringify(after.json)).toBe(200);
    expect(scopesOf(after.json)).toEqual(['docs:read', 'mcp']);
    expect(String(after.json['scope']).split(' ')).not.toContain('finance:read');

    // Back in the group at the provider: the next sign-in and refresh carry the scope again (the grant kept it).
    idp.users.get('ada')!.groups = ['mcp-finance', 'staff'];
    await signIn('ada@corp.example', 'ada', SCOPES);
    const restored = await demo.refresh(client, String(after.json['refresh_token']));
    expect(scopesOf(restored.json)).toContain('finance:read');
  });

  it('counts a provider-specific mapping only for the groups that provider asserted; a mapping for any provider counts them', async () => {
    // `staff` maps to finance:write only for the other provider: ada's `staff` from Corp SSO does not count.
    expect(scopesOf(await signIn('ada@corp.example', 'ada', 'openid mcp finance:write'))).toEqual(['mcp']);
    const anyProvider = await server.infra.pg.query<{ id: string }>(
      `INSERT INTO group_mappings (id, tenant_id, provider_id, group_name, scopes) VALUES (gen_random_uuid(), $1, NULL, 'staff', '{finance:write}') RETURNING id`,
      [tenantId],
    );
    try {
      expect(scopesOf(await signIn('ada@corp.example', 'ada', 'openid mcp finance:write'))).toEqual(['finance:write', 'mcp']);
    } finally {
      await server.infra.pg.query('DELETE FROM group_mappings WHERE id = $1', [anyProvider.rows[0]!.id]);
    }
  });
});

describe('refusals', () => {
  it.each<[IdTokenTamper]>([['wrong-key'], ['alg-none'], ['wrong-aud'], ['expired'], ['wrong-iss'], ['wrong-nonce']])('refuses an ID token that is %s', async (tamper) => {
    const before = await server.infra.pg.query('SELECT count(*)::int AS n FROM federated_identities');
    const { status, body } = await refusedCallback(tamper);
    expect(status).toBe(400);
    expect(body).toContain('Sign-in failed');
    const after = await server.infra.pg.query('SELECT count(*)::int AS n FROM federated_identities');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('refuses a replayed callback (state used once) and a callback from another browser', async () => {
    const attempt = await toCallback('ada@corp.example', 'ada');
    const elsewhere = await browse(new CookieJar(), attempt.callback.href);
    expect(elsewhere.status).toBe(400);
    // The other browser's try spent the state: the real browser cannot use it now either.
    expect((await browse(attempt.jar, attempt.callback.href)).status).toBe(400);

    const second = await toCallback('ada@corp.example', 'ada');
    await finish(second);
    const replay = await browse(second.jar, second.callback.href);
    expect(replay.status).toBe(400);
  });

  it('refuses an authorization response whose iss is not the provider (RFC 9207)', async () => {
    const attempt = await toCallback('ada@corp.example', 'ada');
    expect(attempt.callback.searchParams.get('iss')).toBe(idp.issuer);
    attempt.callback.searchParams.set('iss', 'http://127.0.0.1:1');
    const response = await browse(attempt.jar, attempt.callback.href);
    expect(response.status).toBe(400);
  });

  it('does not link a local user by email: the sign-in is refused and the local account untouched', async () => {
    const attempt = await toCallback('local@corp.example', 'mallory');
    const response = await browse(attempt.jar, attempt.callback.href);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('already has an account');
    const { rows } = await server.infra.pg.query('SELECT 1 FROM federated_identities WHERE subject = $1', ['mallory']);
    expect(rows).toHaveLength(0);
  });

  it('links a SCIM-provisioned user only when the provider is bound to SCIM, and never a local password user', async () => {
    const scimToken = (await new ScimTokensRepository(server.infra.pg).create(tenantId)).token;
    const provisioned = await fetch(`${server.url}/scim/v2/t/demo/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dana@corp.example', externalId: '00u-dana', name: { formatted: 'Dana Scully' }, active: true }),
    });
    expect(provisioned.status).toBe(201);
    const scimUserId = String(((await provisioned.json()) as { id: string }).id);

    // Not bound: the SCIM user's address makes it a collision like any other.
    const refused = await toCallback('dana@corp.example', '00u-dana');
    expect((await browse(refused.jar, refused.callback.href)).status).toBe(403);

    await server.infra.pg.query(`UPDATE identity_providers SET config = config || '{"linkScimUsersBy": "externalId"}'::jsonb WHERE id = $1`, [providerId]);
    try {
      const tokens = await signIn('dana@corp.example', '00u-dana');
      expect(decodeJwt(String(tokens['id_token'])).sub).toBe(scimUserId);
      const { rows } = await server.infra.pg.query('SELECT user_id FROM federated_identities WHERE subject = $1', ['00u-dana']);
      expect(rows).toEqual([{ user_id: scimUserId }]);
      // Bound or not, a local password user with the provider's verified address stays unlinked.
      const mallory = await toCallback('local@corp.example', 'mallory');
      const response = await browse(mallory.jar, mallory.callback.href);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('already has an account');
      expect((await server.infra.pg.query('SELECT 1 FROM federated_identities WHERE subject = $1', ['mallory'])).rows).toHaveLength(0);
    } finally {
      await server.infra.pg.query(`UPDATE identity_providers SET config = config - 'linkScimUsersBy' WHERE id = $1`, [providerId]);
    }
  });

  it('refuses a disabled provider: home-realm discovery falls back to the password form, a callback in flight fails', async () => {
    const attempt = await toCallback('grace@corp.example', 'grace');
    await setProvider({ enabled: false });
    expect((await browse(attempt.jar, attempt.callback.href)).status).toBe(400);
    const jar = new CookieJar();
    const first = await demo.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: pkce().challenge, code_challenge_method: 'S256', scope: 'mcp' });
    const html = await (await browse(jar, new URL(first.headers.get('location')!, server.url).href)).text();
    expect(html).not.toContain('Sign in with Corp SSO');
    const login = formFor(html, '/login');
    const hrd = await browse(jar, `${server.url}${login.action}`, { form: { ...login.fields, email: 'grace@corp.example', password: 'x' } });
    expect(hrd.status).toBe(401);
  });

  it('refuses password sign-in when the tenant switched local passwords off, and hides the password field', async () => {
    await setProvider({ localPasswords: false });
    const jar = new CookieJar();
    const first = await demo.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: pkce().challenge, code_challenge_method: 'S256', scope: 'mcp' });
    const html = await (await browse(jar, new URL(first.headers.get('location')!, server.url).href)).text();
    expect(html).not.toContain('type="password"');
    const login = formFor(html, '/login');
    const refused = await browse(jar, `${server.url}${login.action}`, { form: { ...login.fields, email: 'ops@elsewhere.example', password: 'correct horse battery staple' } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('signs in through its identity provider');
    // The provider's people still get in.
    await signIn('grace@corp.example', 'grace');
  });
});
