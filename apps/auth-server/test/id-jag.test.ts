import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { aggregatedMcpUrl, ID_JAG_JWT_TYPE, ID_JAG_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_BEARER_GRANT, Queues, type AuditEvent } from '@airlock/contracts';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { adminApi, BOOTSTRAP_ADMIN, clientCredentialsToken } from './support/admin-principals.js';
import { browse, CookieJar, formFor, parseForms, pkce } from './support/browser.js';
import { OAuthFlow, REDIRECT, type RegisteredClient } from './support/oauth-flow.js';

// ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant): tenant `idp` acts as the enterprise IdP and
// issues ID-JAGs by token exchange; tenant `demo` trusts it and redeems them with the jwt-bearer grant.
// A second, made-up IdP (keys held by this test) signs the assertions the refusal cases need.

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const IDP_USER = { email: 'ada@idp.example', password: 'correct horse battery staple' };
const DEMO_USER = { email: 'ada@demo.example', password: 'correct horse battery staple' };
const FAKE_IDP = 'https://idp.test.example';
const AGENT = { id: 'agent', secret: '' };
const AGENT_AT_DEMO = { id: 'agent', secret: '' };
const WIDE_SCOPE = 'wiki:write';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let server: AuthServerHarness;
let admin: string;
let idp: OAuthFlow;
let demoIssuer: string;
let resource: string;
let idpClient: RegisteredClient;
let demoUserId: string;
let idpUserId: string;
let fakeKey: SigningKey;
let otherKey: SigningKey;
let fakeIssuerId: string;
const audit: AuditEvent[] = [];

async function audited(action: string): Promise<AuditEvent[]> {
  await server.queues.drain(Queues.audit);
  return audit.filter((event) => event.action === action);
}

function api(method: string, path: string, body?: unknown) {
  return adminApi(server, admin, method, path, body);
}

/** An ID-JAG from the made-up IdP, valid unless `claims`/`header` say otherwise. */
async function assertion(claims: JWTPayload = {}, options: { key?: SigningKey; typ?: string; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: FAKE_IDP, sub: 'ada-at-fake', aud: demoIssuer, client_id: AGENT.id, jti: randomUUID(), iat: now, exp: now + 300, resource, scope: 'mcp', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'fake-1', typ: options.typ ?? ID_JAG_JWT_TYPE })
    .sign(options.key ?? fakeKey);
}

function redeem(value: string, extra: Record<string, string> = {}, client: { id: string; secret: string } = AGENT_AT_DEMO) {
  return postForm(`${demoIssuer}/token`, { grant_type: JWT_BEARER_GRANT, assertion: value, ...extra }, client);
}

function exchangeAtIdp(form: Record<string, string>, client: { id: string; secret: string } = AGENT) {
  return postForm(`${idp.issuer}/token`, { grant_type: EXCHANGE, requested_token_type: ID_JAG_TOKEN_TYPE, subject_token_type: ID_TOKEN_TYPE, audience: demoIssuer, resource, scope: 'mcp', ...form }, client);
}

async function expectRefused(answer: { status: number; json: Record<string, unknown> }, error: string, description: RegExp): Promise<void> {
  expect(answer.status, JSON.stringify(answer.json)).toBe(error === 'invalid_client' ? 401 : 400);
  expect(answer.json['error'], JSON.stringify(answer.json)).toBe(error);
  expect(String(answer.json['error_description'])).toMatch(description);
}

let idToken: string;

beforeAll(async () => {
  server = await startAuthServerHarness();
  server.queues.work<AuditEvent>(Queues.audit, async (job) => {
    audit.push(job.data);
  });
  admin = await clientCredentialsToken(server, BOOTSTRAP_ADMIN);
  await server.createTenant('idp');
  idpUserId = await server.createUser('idp', IDP_USER.email, IDP_USER.password);
  demoUserId = await server.createUser('demo', DEMO_USER.email, DEMO_USER.password);
  idp = new OAuthFlow(server.url, 'idp', IDP_USER);
  demoIssuer = `${server.url}/t/demo`;
  resource = aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo');

  // The same client id in both tenants (the draft's client_id names the client at the resource's server).
  const atIdp = await api('POST', '/tenants/idp/clients', { client_id: AGENT.id, client_name: 'Agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token', EXCHANGE] });
  expect(atIdp.status, atIdp.text).toBe(201);
  AGENT.secret = String(atIdp.json['client_secret']);
  idpClient = { clientId: AGENT.id, clientSecret: AGENT.secret, registrationAccessToken: '' };
  // The resource tenant knows the client by the same id (its own secret).
  const atDemo = await api('POST', '/tenants/demo/clients', { client_id: AGENT.id, client_name: 'Agent', grant_types: [JWT_BEARER_GRANT] });
  expect(atDemo.status, atDemo.text).toBe(201);
  AGENT_AT_DEMO.secret = String(atDemo.json['client_secret']);

  // A tool that needs a scope beyond `mcp`, so widening has something to widen to.
  const demoTenant = await server.tenant('demo');
  await server.infra.pg.query(
    `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, credential_kind, updated_at) VALUES ('00000000-0000-4000-8000-0000000000a1', $1, 'wiki', 'http', 'https://wiki.example/mcp', 'none', now())`,
    [demoTenant.id],
  );
  await server.infra.pg.query(
    `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES
       (gen_random_uuid(), $1, '00000000-0000-4000-8000-0000000000a1', 'edit', '{mcp,${WIDE_SCOPE}}', now()),
       (gen_random_uuid(), $1, '00000000-0000-4000-8000-0000000000a1', 'read', '{mcp}', now())`,
    [demoTenant.id],
  );

  // The demo user is the same person as ada at both IdPs (linked by issuer and subject, never by email).
  await server.infra.pg.query(
    `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, updated_at) VALUES ('00000000-0000-4000-8000-0000000000b1', $1, 'corp', 'oidc', 'Corp', now())`,
    [demoTenant.id],
  );
  await server.infra.pg.query(
    `INSERT INTO federated_identities (id, tenant_id, user_id, provider_id, issuer, subject) VALUES
       (gen_random_uuid(), $1, $2, '00000000-0000-4000-8000-0000000000b1', $3, $4),
       (gen_random_uuid(), $1, $2, '00000000-0000-4000-8000-0000000000b1', $5, 'ada-at-fake')`,
    [demoTenant.id, demoUserId, idp.issuer, idpUserId, FAKE_IDP],
  );

  const pair = await generateKeyPair('ES256', { extractable: true });
  fakeKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'fake-1', alg: 'ES256', use: 'sig' };

  const trustIdp = await api('POST', '/tenants/demo/trusted-issuers', { issuer: idp.issuer, jwksUri: `${idp.issuer}/jwks` });
  expect(trustIdp.status, trustIdp.text).toBe(201);
  const trustFake = await api('POST', '/tenants/demo/trusted-issuers', { issuer: FAKE_IDP, jwks: { keys: [publicJwk] } });
  expect(trustFake.status, trustFake.text).toBe(201);
  fakeIssuerId = String(trustFake.json['id']);
  const audience = await api('POST', '/tenants/idp/id-jag-audiences', { audience: demoIssuer, resources: [resource], scopes: ['mcp', WIDE_SCOPE] });
  expect(audience.status, audience.text).toBe(201);

  const tokens = await idp.tokens(idpClient, { scope: 'openid mcp' });
  idToken = String(tokens['id_token']);
  expect(idToken).toContain('.');
});

afterAll(async () => {
  await server?.close();
});

describe('ID-JAG: metadata and admin API', () => {
  it('advertises the jwt-bearer grant and token exchange', async () => {
    const metadata = (await (await fetch(`${demoIssuer}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining([JWT_BEARER_GRANT, EXCHANGE]));
  });

  it('lists, updates and refuses bad trusted issuers and audiences, and audits the changes', async () => {
    const listed = await api('GET', '/tenants/demo/trusted-issuers');
    expect(listed.json.items?.map((item) => item['issuer']).sort()).toEqual([idp.issuer, FAKE_IDP].sort());
    expect((await api('POST', '/tenants/demo/trusted-issuers', { issuer: FAKE_IDP, jwksUri: 'https://x.example/jwks' })).status).toBe(409);
    for (const body of [{ issuer: 'https://nokeys.example' }, { issuer: 'ftp://x.example', jwksUri: 'https://x.example' }, { issuer: 'https://x.example', jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }]) {
      const refused = await api('POST', '/tenants/demo/trusted-issuers', body);
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json['error']).toBe('invalid_request');
    }
    expect((await api('PATCH', `/tenants/demo/trusted-issuers/${fakeIssuerId}`, { jwks: null })).status).toBe(400);
    expect((await api('PATCH', `/tenants/demo/trusted-issuers/${randomUUID()}`, { enabled: true })).status).toBe(404);
    expect((await api('GET', '/tenants/idp/id-jag-audiences')).json.items).toHaveLength(1);
    const created = await audited('admin.trusted_issuer.create');
    expect(created.filter((event) => event.outcome === 'success').map((event) => event.target).sort()).toEqual([idp.issuer, FAKE_IDP].sort());
  });
});

describe('ID-JAG end to end: the idp tenant issues, the demo tenant redeems', () => {
  it('issues an ID-JAG for an ID token and redeems it for an access token bound to the resource', async () => {
    const issued = await exchangeAtIdp({ subject_token: idToken });
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json).toMatchObject({ issued_token_type: ID_JAG_TOKEN_TYPE, token_type: 'N_A', scope: 'mcp', expires_in: 300 });
    const jag = String(issued.json['access_token']);
    expect(decodeProtectedHeader(jag).typ).toBe(ID_JAG_JWT_TYPE);
    const { payload: jagClaims } = await jwtVerify(jag, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), { issuer: idp.issuer, audience: demoIssuer, typ: ID_JAG_JWT_TYPE });
    expect(jagClaims).toMatchObject({ sub: idpUserId, client_id: AGENT.id, resource, scope: 'mcp' });

    const redeemed = await redeem(jag);
    expect(redeemed.status, JSON.stringify(redeemed.json)).toBe(200);
    expect(redeemed.json).toMatchObject({ token_type: 'Bearer', scope: 'mcp' });
    expect(redeemed.json['refresh_token']).toBeUndefined();
    const token = String(redeemed.json['access_token']);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${demoIssuer}/jwks`)), { issuer: demoIssuer, audience: resource, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: demoUserId, client_id: AGENT.id, scope: 'mcp' });
    expect(payload['grant_id']).toEqual(expect.any(String));
    const introspection = await postForm(`${demoIssuer}/token/introspection`, { token }, AGENT_AT_DEMO);
    expect(introspection.json).toMatchObject({ active: true, aud: resource, sub: demoUserId, client_id: AGENT.id });

    // Recorded like a consent: the admin API lists the grant, and revoking it ends the token.
    const grants = await api('GET', `/tenants/demo/users/${demoUserId}/grants`);
    const listed = grants.json.items?.find((item) => JSON.stringify(item).includes(String(payload['grant_id'])));
    expect(listed, grants.text).toMatchObject({ clientId: AGENT.id, resource });
    expect((await api('DELETE', `/tenants/demo/users/${demoUserId}/grants/${String(payload['grant_id'])}`)).status).toBe(204);
    expect((await postForm(`${demoIssuer}/token/introspection`, { token }, AGENT_AT_DEMO)).json).toMatchObject({ active: false });

    // The same assertion again: a replay.
    await expectRefused(await redeem(jag), 'invalid_grant', /already used/);
    const issues = await audited('oauth.id_jag.issue');
    expect(issues.at(-1)).toMatchObject({ tenant: 'idp', target: demoIssuer, actor: { clientId: AGENT.id, subject: idpUserId }, details: { resource, scopes: ['mcp'] } });
    const redemptions = await audited('oauth.token.id_jag');
    expect(redemptions.at(-2)).toMatchObject({ tenant: 'demo', outcome: 'success', target: resource, actor: { clientId: AGENT.id, subject: demoUserId }, details: { issuer: idp.issuer, idpSubject: idpUserId, scopes: ['mcp'] } });
    expect(redemptions.at(-1)).toMatchObject({ outcome: 'refused', details: { reason: expect.stringMatching(/already used/) } });
    expect(JSON.stringify(redemptions)).not.toContain(jag.split('.')[2]);
  });

  it('at the IdP: refuses unknown audiences, other resources, wider scopes and foreign subject tokens', async () => {
    await expectRefused(await exchangeAtIdp({ subject_token: idToken, audience: 'https://elsewhere.example' }), 'invalid_target', /no ID-JAGs for that audience/);
    await expectRefused(await exchangeAtIdp({ subject_token: idToken, resource: 'https://other.example/mcp' }), 'invalid_target', /resource/);
    await expectRefused(await exchangeAtIdp({ subject_token: idToken, scope: 'mcp admin' }), 'invalid_scope', /exceeds/);
    await expectRefused(await exchangeAtIdp({ subject_token: `${idToken.slice(0, -4)}AAAA` }), 'invalid_grant', /subject_token/);
    await expectRefused(await exchangeAtIdp({ subject_token: await assertion() }), 'invalid_grant', /subject_token/);
    await expectRefused(await exchangeAtIdp({ subject_token: idToken, subject_token_type: 'urn:x' }), 'invalid_request', /subject_token_type/);
    // A user disabled since the ID token was issued gets no ID-JAG.
    await server.infra.pg.query('UPDATE users SET disabled_at = now() WHERE id = $1', [idpUserId]);
    await expectRefused(await exchangeAtIdp({ subject_token: idToken }), 'invalid_grant', /no active user/);
    await server.infra.pg.query('UPDATE users SET disabled_at = NULL WHERE id = $1', [idpUserId]);
    expect((await exchangeAtIdp({ subject_token: idToken })).status).toBe(200);
  });
});

describe('ID-JAG redemption refusals', () => {
  it('refuses assertions that are not signed by the issuer, or not ID-JAGs', async () => {
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: ID_JAG_JWT_TYPE })).toString('base64url')}.${(await assertion()).split('.')[1]}.`;
    await expectRefused(await redeem(unsigned), 'invalid_grant', /algorithm|signed/);
    await expectRefused(await redeem(await assertion({}, { key: otherKey })), 'invalid_grant', /signature/);
    await expectRefused(await redeem(await assertion({}, { key: otherKey, kid: 'unknown-kid' })), 'invalid_grant', /signature/);
    await expectRefused(await redeem(await assertion({}, { typ: 'JWT' })), 'invalid_grant', /typ must be oauth-id-jag\+jwt/);
    await expectRefused(await redeem('not-a-jwt'), 'invalid_grant', /not a JWT/);
  });

  it('checks aud, client_id, expiry and the issuer', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await redeem(await assertion({ aud: idp.issuer })), 'invalid_grant', /aud/);
    await expectRefused(await redeem(await assertion({ client_id: 'someone-else' })), 'invalid_grant', /client_id/);
    await expectRefused(await redeem(await assertion({ iat: now - 900, exp: now - 120 })), 'invalid_grant', /expired/);
    await expectRefused(await redeem(await assertion({ exp: now + 7200 })), 'invalid_grant', /too long/);
    await expectRefused(await redeem(await assertion({ iss: 'https://untrusted.example' })), 'invalid_grant', /not trusted/);
    await expectRefused(await redeem(await assertion({ sub: 'nobody-linked' })), 'invalid_grant', /not linked/);
    await expectRefused(await redeem(await assertion({ jti: undefined })), 'invalid_grant', /jti/);
  });

  it('issues only scopes in both the request and the assertion', async () => {
    await expectRefused(await redeem(await assertion(), { scope: `mcp ${WIDE_SCOPE}` }), 'invalid_scope', /exceeds the assertion/);
    const wide = await redeem(await assertion({ scope: `mcp ${WIDE_SCOPE} unknown:scope` }), { scope: 'mcp' });
    expect(wide.status, JSON.stringify(wide.json)).toBe(200);
    expect(wide.json['scope']).toBe('mcp');
    const all = await redeem(await assertion({ scope: `mcp ${WIDE_SCOPE} unknown:scope` }));
    expect(all.json['scope']).toBe(`mcp ${WIDE_SCOPE}`);
    await expectRefused(await redeem(await assertion({ scope: undefined })), 'invalid_scope', /grants no|neither/);
  });

  it('applies group mappings: a governed scope only while a current group of the user maps to it', async () => {
    const demoTenant = await server.tenant('demo');
    const mapping = await server.infra.pg.query<{ id: string }>(
      `INSERT INTO group_mappings (id, tenant_id, provider_id, group_name, scopes) VALUES (gen_random_uuid(), $1, NULL, 'wiki-editors', $2) RETURNING id`,
      [demoTenant.id, [WIDE_SCOPE]],
    );
    try {
      // The user is in no mapped group: the assertion's wiki:write is withheld, mcp kept; asked alone, refused.
      const withheld = await redeem(await assertion({ scope: `mcp ${WIDE_SCOPE}` }));
      expect(withheld.status, JSON.stringify(withheld.json)).toBe(200);
      expect(withheld.json['scope']).toBe('mcp');
      await expectRefused(await redeem(await assertion({ scope: WIDE_SCOPE })), 'invalid_scope', /groups allow none/);
      // An identity provider asserted the group at the user's last sign-in: the next redemption carries the scope.
      await server.infra.pg.query(`UPDATE federated_identities SET groups = '{wiki-editors}' WHERE user_id = $1 AND subject = 'ada-at-fake'`, [demoUserId]);
      const granted = await redeem(await assertion({ scope: `mcp ${WIDE_SCOPE}` }));
      expect(granted.json['scope']).toBe(`mcp ${WIDE_SCOPE}`);
    } finally {
      await server.infra.pg.query('DELETE FROM group_mappings WHERE id = $1', [mapping.rows[0]!.id]);
      await server.infra.pg.query(`UPDATE federated_identities SET groups = '{}' WHERE user_id = $1`, [demoUserId]);
    }
  });

  it('provisions an unlinked subject just in time only where the tenant turned it on for the issuer', async () => {
    const subject = 'new-at-fake';
    const provisioned = async () => (await server.infra.pg.query<{ user_id: string; provider_id: string; email: string }>(
      'SELECT f.user_id, f.provider_id, u.email FROM federated_identities f JOIN users u ON u.id = f.user_id WHERE f.issuer = $1 AND f.subject = $2',
      [FAKE_IDP, subject],
    )).rows;
    // Off (the default): an unlinked subject is refused, and nobody is created.
    await expectRefused(await redeem(await assertion({ sub: subject })), 'invalid_grant', /not linked/);
    expect(await provisioned()).toEqual([]);

    const patched = await api('PATCH', `/tenants/demo/trusted-issuers/${fakeIssuerId}`, { provisionUsers: true });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json['provisionUsers']).toBe(true);
    // On, but the tenant has no OpenID provider of that issuer to link the user through: still refused.
    await expectRefused(await redeem(await assertion({ sub: subject })), 'invalid_grant', /no user could be provisioned/);
    expect(await provisioned()).toEqual([]);

    const demoTenant = await server.tenant('demo');
    const provider = await server.infra.pg.query<{ id: string }>(
      `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, config, updated_at) VALUES (gen_random_uuid(), $1, 'fake-idp', 'oidc', 'Fake IdP', $2, now()) RETURNING id`,
      [demoTenant.id, JSON.stringify({ issuer: FAKE_IDP, clientId: 'airlock' })],
    );
    try {
      const first = await redeem(await assertion({ sub: subject, email: 'claims-anything@corp.example' }));
      expect(first.status, JSON.stringify(first.json)).toBe(200);
      const rows = await provisioned();
      expect(rows).toEqual([{ user_id: expect.any(String), provider_id: provider.rows[0]!.id, email: expect.stringMatching(/@fake-idp\.federated\.invalid$/) }]);
      const { payload } = await jwtVerify(String(first.json['access_token']), createRemoteJWKSet(new URL(`${demoIssuer}/jwks`)), { issuer: demoIssuer, audience: resource });
      expect(payload.sub).toBe(rows[0]!.user_id);
      // The next assertion for the subject signs in the same user.
      const second = await redeem(await assertion({ sub: subject }));
      expect(decodeJwt(String(second.json['access_token'])).sub).toBe(rows[0]!.user_id);
      expect(await provisioned()).toHaveLength(1);
      expect((await audited('federation.user_provisioned')).filter((event) => event.details['subject'] === subject)).toHaveLength(1);
    } finally {
      await api('PATCH', `/tenants/demo/trusted-issuers/${fakeIssuerId}`, { provisionUsers: false });
      await server.infra.pg.query('DELETE FROM identity_providers WHERE id = $1', [provider.rows[0]!.id]);
    }
  });

  it('binds the token to the assertion’s resource: another one, or none, is refused', async () => {
    await expectRefused(await redeem(await assertion(), { resource: 'https://other.example/mcp' }), 'invalid_target', /differs/);
    await expectRefused(await redeem(await assertion({ resource: 'https://other.example/mcp' })), 'invalid_target', /not an MCP resource/);
    await expectRefused(await redeem(await assertion({ resource: undefined })), 'invalid_grant', /no single resource/);
    const same = await redeem(await assertion(), { resource });
    expect(same.status, JSON.stringify(same.json)).toBe(200);
  });

  it('refuses a disabled issuer, clients it does not allow, and clients without the grant', async () => {
    expect((await api('PATCH', `/tenants/demo/trusted-issuers/${fakeIssuerId}`, { enabled: false })).status).toBe(200);
    await expectRefused(await redeem(await assertion()), 'invalid_grant', /disabled/);
    expect((await api('PATCH', `/tenants/demo/trusted-issuers/${fakeIssuerId}`, { enabled: true, allowedClientIds: ['someone-else'] })).status).toBe(200);
    await expectRefused(await redeem(await assertion()), 'unauthorized_client', /may not redeem/);
    expect((await api('PATCH', `/tenants/demo/trusted-issuers/${fakeIssuerId}`, { allowedClientIds: [] })).status).toBe(200);
    expect((await redeem(await assertion())).status).toBe(200);

    const plain = await api('POST', '/tenants/demo/clients', { client_name: 'No jwt-bearer', grant_types: ['client_credentials'] });
    const answer = await redeem(await assertion({ client_id: String(plain.json['client_id']) }), {}, { id: String(plain.json['client_id']), secret: String(plain.json['client_secret']) });
    expect(answer.json['error'], JSON.stringify(answer.json)).toBe('unauthorized_client');
  });
});

describe('pre-approved clients', () => {
  /** Runs an authorization request; returns the pages the browser saw and where it ended. */
  async function authorize(flow: OAuthFlow, client: RegisteredClient, user: { email: string; password: string }) {
    const jar = new CookieJar();
    const { challenge } = pkce();
    const query = new URLSearchParams({ client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', scope: 'mcp', state: 's' });
    let response = await browse(jar, `${flow.issuer}/auth?${query}`);
    const pages: string[] = [];
    for (let step = 0; step < 12; step++) {
      if (response.status === 302 || response.status === 303) {
        const location = new URL(response.headers.get('location')!, server.url);
        if (!location.href.startsWith(server.url)) return { pages, callback: location };
        response = await browse(jar, location.href);
        continue;
      }
      const html = await response.text();
      const forms = parseForms(html);
      if (forms.some((form) => form.action.endsWith('/login'))) {
        pages.push('login');
        const login = formFor(html, '/login');
        response = await browse(jar, `${server.url}${login.action}`, { form: { ...login.fields, ...user } });
      } else if (forms.some((form) => form.action.endsWith('/confirm'))) {
        pages.push('consent');
        const confirm = formFor(html, '/confirm');
        response = await browse(jar, `${server.url}${confirm.action}`, { form: confirm.fields });
      } else {
        throw new Error(`unexpected page ${response.status}: ${html.slice(0, 300)}`);
      }
    }
    throw new Error('did not finish');
  }

  it('skips the consent screen for a pre-approved client, still records the grant and audits what it unlocks', async () => {
    const demo = new OAuthFlow(server.url, 'demo', DEMO_USER);
    const client = await demo.register();
    const before = await authorize(demo, client, DEMO_USER);
    expect(before.pages).toEqual(['login', 'consent']);

    const other = await demo.register();
    const put = await api('PUT', `/tenants/demo/pre-approvals/${encodeURIComponent(other.clientId)}`, { scopes: ['mcp'] });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ clientId: other.clientId, scopes: ['mcp'], createdBy: BOOTSTRAP_ADMIN.id });
    const after = await authorize(demo, other, DEMO_USER);
    expect(after.pages).toEqual(['login']);
    expect(after.callback.searchParams.get('code')).toBeTruthy();
    const grants = await api('GET', `/tenants/demo/users/${demoUserId}/grants`);
    expect(JSON.stringify(grants.json)).toContain(other.clientId);
    const events = await audited('oauth.consent.pre_approved');
    expect(events.at(-1)).toMatchObject({ tenant: 'demo', actor: { clientId: other.clientId, subject: demoUserId }, target: resource, details: { scopes: ['mcp'] } });
    expect(events.at(-1)?.details['tools']).toEqual(['wiki/read']);
    expect((await api('GET', '/tenants/demo/pre-approvals')).json.items?.map((item) => item['clientId'])).toContain(other.clientId);
    // Deleting the client deletes its pre-approval.
    expect((await api('DELETE', `/tenants/demo/clients/${encodeURIComponent(other.clientId)}`)).status).toBe(204);
    expect((await api('GET', '/tenants/demo/pre-approvals')).json.items?.map((item) => item['clientId'])).not.toContain(other.clientId);

    // Withdrawn: consent is asked again (for a fresh client: the other's consent is remembered).
    const third = await demo.register();
    await api('PUT', `/tenants/demo/pre-approvals/${encodeURIComponent(third.clientId)}`, { scopes: ['mcp'] });
    expect((await api('DELETE', `/tenants/demo/pre-approvals/${encodeURIComponent(third.clientId)}`)).status).toBe(204);
    expect((await authorize(demo, third, DEMO_USER)).pages).toEqual(['login', 'consent']);
    expect((await api('DELETE', `/tenants/demo/pre-approvals/${encodeURIComponent(third.clientId)}`)).status).toBe(404);
  });

  it('still asks when the request goes beyond the pre-approved scopes', async () => {
    const demo = new OAuthFlow(server.url, 'demo', DEMO_USER);
    const client = await demo.register();
    await api('PUT', `/tenants/demo/pre-approvals/${encodeURIComponent(client.clientId)}`, { scopes: ['openid'] });
    expect((await authorize(demo, client, DEMO_USER)).pages).toEqual(['login', 'consent']);
  });
});

