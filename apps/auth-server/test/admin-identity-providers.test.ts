import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, type AuditEvent } from '@airlock/contracts';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { adminApi, BOOTSTRAP_ADMIN, clientCredentialsToken, createAdminTenantClient, type AdminApiAnswer } from './support/admin-principals.js';
import { browse, CookieJar, formFor, parseForms, pkce } from './support/browser.js';
import { startEnterpriseIdp, type EnterpriseIdp } from './support/enterprise-idp.js';
import { OAuthFlow, REDIRECT, type RegisteredClient } from './support/oauth-flow.js';
import { SamlTestIdp } from './support/saml-test-idp.js';

// The admin API for enterprise sign-in (issue 16): a tenant's identity providers (OpenID Connect and SAML)
// and group mappings, and its local-passwords switch, over real HTTP. A provider added through the API
// signs people in through a real, independent OpenID provider; a SAML provider added through the API is
// on the login page's buttons and home-realm discovery. Secrets go in and never come out (answers, audit).
// Roles: a tenant admin manages its own tenant only; an auditor reads.

type Json = AdminApiAnswer['json'];

const suffix = randomBytes(4).toString('hex');
const OTHER = `idp-other-${suffix}`;
const SECRET_MARK = `never-shown-${suffix}`;

let server: AuthServerHarness;
let root: string;
let idp: EnterpriseIdp;
let saml: SamlTestIdp;
let demo: OAuthFlow;
let client: RegisteredClient;
const audit: AuditEvent[] = [];

const api = (method: string, path: string, body?: unknown, bearer = root) => adminApi(server, bearer, method, path, body);

async function ok(answer: Promise<AdminApiAnswer>): Promise<Json> {
  const { status, text, json } = await answer;
  expect(status, text).toBeLessThan(300);
  return json;
}

async function refused(answer: Promise<AdminApiAnswer>, status: number, error: string, description?: RegExp): Promise<void> {
  const got = await answer;
  expect(got.status, got.text).toBe(status);
  expect(got.json['error']).toBe(error);
  if (description) expect(String(got.json['error_description'])).toMatch(description);
}

function oidcBody(slug: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    slug,
    kind: 'oidc',
    displayName: 'Corp SSO',
    emailDomains: ['corp.example'],
    config: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email', 'profile', 'groups'] },
    clientSecret: idp.clientSecret,
    ...overrides,
  };
}

function samlBody(slug: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { slug, kind: 'saml', displayName: 'Corp SAML', emailDomains: ['saml.example'], config: { idpEntityId: saml.entityId, ssoUrl: saml.ssoUrl, signingCertificates: [saml.certificate], emailVerified: true }, ...overrides };
}

/** An authorization request of the demo tenant up to its login page: the page's HTML and forms. */
async function loginPage(jar: CookieJar): Promise<{ html: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const first = await demo.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 's', scope: 'openid mcp' });
  const page = await browse(jar, new URL(first.headers.get('location')!, server.url).href);
  return { html: await page.text(), verifier };
}

/** Follows redirects off the auth server through the OpenID provider's login form; the first URL back at Airlock. */
async function throughIdp(start: string, username: string): Promise<URL> {
  const jar = new CookieJar();
  let response = await browse(jar, start);
  for (let step = 0; step < 10; step++) {
    if (response.status === 302 || response.status === 303) {
      const location = new URL(response.headers.get('location')!, idp.issuer);
      if (location.origin !== idp.issuer) return location;
      response = await browse(jar, location.href);
      continue;
    }
    const form = formFor(await response.text(), '/login');
    response = await browse(jar, new URL(form.action, idp.issuer).href, { form: { username, password: 'idp-password' } });
  }
  throw new Error('the IdP did not send the browser back');
}

async function audited(action: string): Promise<AuditEvent[]> {
  await server.queues.drain(Queues.audit);
  return audit.filter((event) => event.action === action);
}

beforeAll(async () => {
  server = await startAuthServerHarness({ AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32' });
  server.queues.work<AuditEvent>(Queues.audit, async (job) => void audit.push(job.data));
  root = await clientCredentialsToken(server, BOOTSTRAP_ADMIN);
  idp = await startEnterpriseIdp({ redirectUri: `${server.url}/t/demo/federation/corp/callback` });
  idp.users.set('ada', { password: 'idp-password', email: 'ada@corp.example', emailVerified: true, name: 'Ada Lovelace', groups: ['mcp-finance'] });
  saml = await SamlTestIdp.start();
  demo = new OAuthFlow(server.url, 'demo', { email: 'local@demo.example', password: 'correct horse battery staple' });
  await server.createUser('demo', 'local@demo.example', 'correct horse battery staple');
  client = await demo.register();
  await ok(api('POST', '/tenants', { slug: OTHER, displayName: 'Other' }));
}, 60_000);

afterAll(async () => {
  await idp?.close();
  await saml?.close();
  await server?.close();
});

describe('identity providers through the admin API', () => {
  it('adds an OpenID Connect provider whose secret is sealed and never returned, and signs a person in through it', async () => {
    const created = await api('POST', '/tenants/demo/identity-providers', oidcBody('corp'));
    expect(created.status, created.text).toBe(201);
    expect(created.text).not.toContain(idp.clientSecret);
    expect(created.json).toMatchObject({
      slug: 'corp',
      kind: 'oidc',
      preset: 'generic',
      enabled: true,
      hasClientSecret: true,
      emailDomains: ['corp.example'],
      callbackUrl: `${server.url}/t/demo/federation/corp/callback`,
      metadataUrl: null,
      linkedUsers: 0,
      config: { issuer: idp.issuer, clientId: idp.clientId, groupOverage: 'ignore', hostedDomains: [] },
    });
    // Sealed at rest (AES-GCM under the master key, bound to the provider's row).
    const { rows } = await server.infra.pg.query<{ secrets_encrypted: string }>('SELECT secrets_encrypted FROM identity_providers WHERE id = $1', [created.json['id']]);
    expect(rows[0]!.secrets_encrypted).not.toContain(idp.clientSecret);
    for (const path of ['/tenants/demo/identity-providers', '/tenants/demo/identity-providers/corp']) {
      const read = await api('GET', path);
      expect(read.status).toBe(200);
      expect(read.text).not.toContain(idp.clientSecret);
    }

    // Home-realm discovery on the login page sends the email to the provider; the provider signs Ada in.
    const jar = new CookieJar();
    const { html, verifier } = await loginPage(jar);
    expect(html).toContain('Sign in with Corp SSO');
    const login = formFor(html, '/login');
    const hrd = await browse(jar, `${server.url}${login.action}`, { form: { ...login.fields, email: 'ada@corp.example', password: '' } });
    expect(hrd.status).toBe(303);
    const callback = await throughIdp(hrd.headers.get('location')!, 'ada');
    expect(callback.pathname).toBe('/t/demo/federation/corp/callback');
    const back = await browse(jar, callback.href);
    expect(back.status).toBe(303);
    const redirect = await demo.follow(jar, new URL(back.headers.get('location')!, server.url).href);
    expect(redirect.searchParams.get('error'), redirect.href).toBeNull();
    expect((await demo.redeem(client, redirect.searchParams.get('code')!, verifier)).status).toBe(200);
    expect((await ok(api('GET', '/tenants/demo/identity-providers/corp')))['linkedUsers']).toBe(1);

    // The audit record has the change, never the secret.
    const [record] = await audited('admin.identity_provider.create');
    expect(record).toMatchObject({ outcome: 'success', target: 'corp', details: { after: { slug: 'corp', hasClientSecret: true } } });
    expect(JSON.stringify(record)).not.toContain(idp.clientSecret);
  });

  it('validates like the contract: config by kind, preset rules, secret rules, unique slugs and domains', async () => {
    const create = (body: Record<string, unknown>) => api('POST', '/tenants/demo/identity-providers', body);
    await refused(create(oidcBody('corp', { emailDomains: [] })), 409, 'conflict', /corp already exists/);
    await refused(create(oidcBody('corp2')), 409, 'conflict', /corp\.example already signs in through corp/);
    await refused(create(oidcBody('x1', { emailDomains: [], clientSecret: undefined })), 400, 'invalid_request', /clientSecret/);
    await refused(create(oidcBody('x2', { emailDomains: [], config: { issuer: 'not a url', clientId: 'c' } })), 400, 'invalid_request', /config\.issuer/);
    await refused(create(oidcBody('x3', { emailDomains: [], config: { issuer: idp.issuer, clientId: 'c', extra: 1 } })), 400, 'invalid_request', /config/);
    await refused(create(oidcBody('x4', { emailDomains: [], preset: 'entra' })), 400, 'invalid_request', /entra: issuer must be/);
    await refused(create(oidcBody('x5', { emailDomains: [], preset: 'google', config: { issuer: 'https://accounts.google.com', clientId: 'c' } })), 400, 'invalid_request', /hostedDomains/);
    await refused(create(oidcBody('X_bad', { emailDomains: [] })), 400, 'invalid_request', /slug/);
    await refused(create(oidcBody('x6', { emailDomains: ['not a domain'] })), 400, 'invalid_request', /emailDomains/);
    await refused(create(samlBody('s1', { clientSecret: 'nope' })), 400, 'invalid_request', /SAML provider has no client secret/);
    await refused(create(samlBody('s2', { preset: 'okta' })), 400, 'invalid_request', /preset/);
    await refused(create(samlBody('s3', { config: { idpEntityId: 'x', ssoUrl: saml.ssoUrl, signingCertificates: ['not a pem'] } })), 400, 'invalid_request', /config\.signingCertificates\.0/);
    await refused(create(samlBody('s4', { config: { idpEntityId: 'x', ssoUrl: saml.ssoUrl, signingCertificates: [saml.certificate], allowIdpInitiated: true } })), 400, 'invalid_request', /idpInitiatedRedirect/);
    // The upstream address policy applies to the issuer (discovery is fetched from it).
    await refused(create(oidcBody('x7', { emailDomains: [], config: { issuer: 'http://10.1.2.3', clientId: 'c' } })), 400, 'invalid_request', /config\.issuer refused by the upstream address policy/);
    const listed = (await ok(api('GET', '/tenants/demo/identity-providers'))).items!;
    expect(listed.map((item) => item['slug'])).toEqual(['corp']);
  });

  it('updates, rotates the secret, disables and re-enables: the login page follows at once', async () => {
    await refused(api('PATCH', '/tenants/demo/identity-providers/corp', {}), 400, 'invalid_request', /nothing to change/);
    await refused(api('PATCH', '/tenants/demo/identity-providers/corp', { config: { issuer: idp.issuer } }), 400, 'invalid_request', /config\.clientId/);
    await refused(api('PATCH', '/tenants/demo/identity-providers/nope', { enabled: false }), 404, 'not_found');
    await refused(api('PATCH', '/tenants/demo/identity-providers/Bad_Slug', { enabled: false }), 404, 'not_found');

    const before = await server.infra.pg.query<{ secrets_encrypted: string }>("SELECT secrets_encrypted FROM identity_providers WHERE slug = 'corp'");
    const rotated = await api('PATCH', '/tenants/demo/identity-providers/corp', { clientSecret: SECRET_MARK, displayName: 'Corp Login' });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.text).not.toContain(SECRET_MARK);
    const after = await server.infra.pg.query<{ secrets_encrypted: string }>("SELECT secrets_encrypted FROM identity_providers WHERE slug = 'corp'");
    expect(after.rows[0]!.secrets_encrypted).not.toBe(before.rows[0]!.secrets_encrypted);
    const [update] = (await audited('admin.identity_provider.update')).filter((event) => event.outcome === 'success');
    expect(update).toMatchObject({ target: 'corp', details: { clientSecretReplaced: true, before: { displayName: 'Corp SSO' }, after: { displayName: 'Corp Login' } } });
    expect(JSON.stringify(update)).not.toContain(SECRET_MARK);
    // The right secret again (the provider would refuse the wrong one at the token endpoint).
    await ok(api('PATCH', '/tenants/demo/identity-providers/corp', { clientSecret: idp.clientSecret }));

    expect((await ok(api('PATCH', '/tenants/demo/identity-providers/corp', { enabled: false })))['enabled']).toBe(false);
    expect((await loginPage(new CookieJar())).html).not.toContain('Sign in with Corp Login');
    expect((await ok(api('PATCH', '/tenants/demo/identity-providers/corp', { enabled: true })))['enabled']).toBe(true);
    expect((await loginPage(new CookieJar())).html).toContain('Sign in with Corp Login');
  });

  it("switches a tenant's local passwords off only while an identity provider can sign people in", async () => {
    await refused(api('PATCH', `/tenants/${OTHER}`, { localPasswordsEnabled: false }), 400, 'invalid_request', /needs an enabled identity provider/);
    expect(await ok(api('PATCH', '/tenants/demo', { localPasswordsEnabled: false }))).toMatchObject({ slug: 'demo', localPasswordsEnabled: false });
    const { html } = await loginPage(new CookieJar());
    expect(html).not.toContain('name="password"');
    expect((await ok(api('GET', '/tenants/demo')))['localPasswordsEnabled']).toBe(false);
    expect(await ok(api('PATCH', '/tenants/demo', { localPasswordsEnabled: true }))).toMatchObject({ localPasswordsEnabled: true });
    expect((await loginPage(new CookieJar())).html).toContain('name="password"');
    const [record] = (await audited('admin.tenant.update')).filter((event) => event.outcome === 'success' && (event.details['after'] as Json | undefined)?.['localPasswordsEnabled'] === false);
    expect(record).toBeDefined();
  });
});

describe('SAML providers on the login page', () => {
  it('adds a SAML provider through the API: a button on the login page, home-realm discovery, and a sign-in through it', async () => {
    const created = await api('POST', '/tenants/demo/identity-providers', samlBody('corp-saml'));
    expect(created.status, created.text).toBe(201);
    const base = `${server.url}/t/demo/federation/corp-saml/saml`;
    expect(created.json).toMatchObject({ kind: 'saml', hasClientSecret: false, callbackUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, config: { nameIdFormat: expect.stringContaining('persistent'), clockSkewSeconds: 60 } });

    // The button: a POST of the login page's form for this provider goes to the IdP with an AuthnRequest.
    saml.reset();
    saml.user = { nameId: 'persistent-grace', email: 'grace@saml.example', name: 'Grace Hopper', groups: ['staff'] };
    const jar = new CookieJar();
    const { html, verifier } = await loginPage(jar);
    expect(html).toContain('Sign in with Corp SAML');
    const button = parseForms(html).find((form) => form.action.endsWith('/federation/corp-saml'));
    expect(button, 'a form for the SAML provider').toBeDefined();
    const started = await browse(jar, `${server.url}${button!.action}`, { form: button!.fields });
    expect(started.status).toBe(303);
    const sso = new URL(started.headers.get('location')!);
    expect(`${sso.origin}${sso.pathname}`).toBe(saml.ssoUrl);
    expect(sso.searchParams.get('SAMLRequest')).toBeTruthy();
    // Through the IdP (its auto-submitting form), the ACS, and back into the authorization request.
    const idpPage = await (await fetch(sso)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(idpPage)![1]!.replaceAll('&amp;', '&');
    const form = { SAMLResponse: /name="SAMLResponse" value="([^"]+)"/.exec(idpPage)![1]!, RelayState: /name="RelayState" value="([^"]*)"/.exec(idpPage)![1]! };
    const acs = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), redirect: 'manual' });
    expect(acs.status, await acs.clone().text()).toBe(303);
    const finished = await browse(jar, new URL(acs.headers.get('location')!, server.url).href);
    expect(finished.status).toBe(303);
    const redirect = await demo.follow(jar, new URL(finished.headers.get('location')!, server.url).href);
    expect(redirect.searchParams.get('error'), redirect.href).toBeNull();
    expect((await demo.redeem(client, redirect.searchParams.get('code')!, verifier)).status).toBe(200);
    expect((await ok(api('GET', '/tenants/demo/identity-providers/corp-saml')))['linkedUsers']).toBe(1);

    // Home-realm discovery: an email of the SAML provider's domain goes straight to it.
    const hrdJar = new CookieJar();
    const page = await loginPage(hrdJar);
    const login = formFor(page.html, '/login');
    const hrd = await browse(hrdJar, `${server.url}${login.action}`, { form: { ...login.fields, email: 'someone@saml.example', password: '' } });
    expect(hrd.status).toBe(303);
    expect(hrd.headers.get('location')).toContain(saml.ssoUrl);
    // Another domain does not.
    const other = await browse(hrdJar, `${server.url}${login.action}`, { form: { ...login.fields, email: 'someone@elsewhere.example', password: 'wrong-password' } });
    expect(other.status).toBe(401);

    // A SAML provider's config is judged as SAML on update too, and it takes no secret.
    await refused(api('PATCH', '/tenants/demo/identity-providers/corp-saml', { clientSecret: 'x' }), 400, 'invalid_request', /no client secret/);
    await refused(api('PATCH', '/tenants/demo/identity-providers/corp-saml', { config: { issuer: idp.issuer, clientId: 'c' } }), 400, 'invalid_request', /config\.idpEntityId/);
    const disabled = await ok(api('PATCH', '/tenants/demo/identity-providers/corp-saml', { enabled: false }));
    expect(disabled['enabled']).toBe(false);
    expect((await loginPage(new CookieJar())).html).not.toContain('Sign in with Corp SAML');
    await ok(api('PATCH', '/tenants/demo/identity-providers/corp-saml', { enabled: true }));
  });
});

describe('group mappings', () => {
  it('maps groups to scopes per provider or for every provider, paged, searched, unique, and removed with their provider', async () => {
    const corp = await ok(api('GET', '/tenants/demo/identity-providers/corp'));
    const corpId = String(corp['id']);
    const finance = await api('POST', '/tenants/demo/group-mappings', { providerId: corpId, groupName: 'mcp-finance', scopes: ['finance:read', 'finance:read', 'mcp'] });
    expect(finance.status, finance.text).toBe(201);
    expect(finance.json).toMatchObject({ providerId: corpId, provider: 'corp', groupName: 'mcp-finance', scopes: ['finance:read', 'mcp'] });
    await refused(api('POST', '/tenants/demo/group-mappings', { providerId: corpId, groupName: 'mcp-finance', scopes: ['x'] }), 409, 'conflict');
    const anywhere = await ok(api('POST', '/tenants/demo/group-mappings', { groupName: 'mcp-finance', scopes: ['finance:write'] }));
    expect(anywhere).toMatchObject({ providerId: null, provider: null });
    for (const name of ['staff', 'ops', 'mcp-docs']) await ok(api('POST', '/tenants/demo/group-mappings', { groupName: name, scopes: ['mcp'] }));
    await refused(api('POST', '/tenants/demo/group-mappings', { groupName: 'x', scopes: ['not a scope'] }), 400, 'invalid_request', /scopes/);
    await refused(api('POST', '/tenants/demo/group-mappings', { groupName: 'x', scopes: [] }), 400, 'invalid_request', /scopes/);
    // A provider of another tenant is no provider here.
    const elsewhere = await ok(api('POST', `/tenants/${OTHER}/identity-providers`, samlBody('elsewhere', { emailDomains: [] })));
    await refused(api('POST', '/tenants/demo/group-mappings', { providerId: elsewhere['id'], groupName: 'x', scopes: ['mcp'] }), 400, 'invalid_request', /providerId/);

    // Paged by group name (then id), stable; searched by prefix; by provider (its own and every provider's).
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await ok(api('GET', `/tenants/demo/group-mappings?limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      seen.push(...page.items!.map((item) => `${String(item['groupName'])}/${String(item['provider'] ?? '*')}`));
      cursor = page['nextCursor'] as string | null;
    } while (cursor);
    expect(seen.sort()).toEqual(['mcp-docs/*', 'mcp-finance/*', 'mcp-finance/corp', 'ops/*', 'staff/*']);
    expect((await ok(api('GET', '/tenants/demo/group-mappings?q=mcp-f'))).items).toHaveLength(2);
    expect((await ok(api('GET', `/tenants/demo/group-mappings?providerId=${String(elsewhere['id'])}`))).items).toHaveLength(4);
    await refused(api('GET', '/tenants/demo/group-mappings?cursor=bm9wZQ'), 400, 'invalid_request', /cursor/);

    const changed = await ok(api('PATCH', `/tenants/demo/group-mappings/${String(finance.json['id'])}`, { scopes: ['finance:admin'] }));
    expect(changed['scopes']).toEqual(['finance:admin']);
    const ops = (await ok(api('GET', '/tenants/demo/group-mappings?q=ops'))).items![0]!;
    await refused(api('PATCH', `/tenants/demo/group-mappings/${String(ops['id'])}`, { groupName: 'staff' }), 409, 'conflict');
    await refused(api('PATCH', `/tenants/demo/group-mappings/${randomUUID()}`, { groupName: 'x' }), 404, 'not_found');
    expect((await api('DELETE', `/tenants/demo/group-mappings/${String(ops['id'])}`)).status).toBe(204);
    await refused(api('DELETE', `/tenants/demo/group-mappings/${String(ops['id'])}`), 404, 'not_found');
    const created = await audited('admin.group_mapping.create');
    expect(created.filter((event) => event.outcome === 'success').map((event) => event.target)).toEqual(expect.arrayContaining(['mcp-finance', 'staff']));

    // Removing a provider removes its mappings and its users' links; the users stay.
    const extra = await ok(api('POST', '/tenants/demo/identity-providers', oidcBody('temp', { emailDomains: ['temp.example'] })));
    await ok(api('POST', '/tenants/demo/group-mappings', { providerId: extra['id'], groupName: 'temp-group', scopes: ['mcp'] }));
    expect((await api('DELETE', '/tenants/demo/identity-providers/temp')).status).toBe(204);
    expect((await ok(api('GET', '/tenants/demo/group-mappings?q=temp'))).items).toEqual([]);
    await refused(api('GET', '/tenants/demo/identity-providers/temp'), 404, 'not_found');
    const [removed] = await audited('admin.identity_provider.delete');
    expect(removed).toMatchObject({ outcome: 'success', target: 'temp', details: { before: { slug: 'temp' } } });
  });
});

describe('roles', () => {
  it("lets a tenant admin manage its own tenant's providers only, and an auditor read them", async () => {
    const tenantAdminClient = await createAdminTenantClient(server, root, `idp-ta-${suffix}`);
    await ok(api('PUT', `/role-assignments/clients/${encodeURIComponent(tenantAdminClient.id)}`, { role: 'tenant-admin', tenants: [OTHER] }));
    const tenantAdmin = await clientCredentialsToken(server, tenantAdminClient);
    const auditorClient = await createAdminTenantClient(server, root, `idp-au-${suffix}`);
    await ok(api('PUT', `/role-assignments/clients/${encodeURIComponent(auditorClient.id)}`, { role: 'auditor', tenants: 'all' }));
    const auditor = await clientCredentialsToken(server, auditorClient);

    // Its own tenant: everything.
    const mine = await api('POST', `/tenants/${OTHER}/identity-providers`, oidcBody('mine', { emailDomains: ['mine.example'] }), tenantAdmin);
    expect(mine.status, mine.text).toBe(201);
    expect((await api('PATCH', `/tenants/${OTHER}/identity-providers/mine`, { enabled: false }, tenantAdmin)).status).toBe(200);
    const mapping = await api('POST', `/tenants/${OTHER}/group-mappings`, { groupName: 'g', scopes: ['mcp'] }, tenantAdmin);
    expect(mapping.status).toBe(201);
    expect((await api('PATCH', `/tenants/${OTHER}`, { localPasswordsEnabled: true }, tenantAdmin)).status).toBe(200);
    // Another tenant: the 404 an unknown tenant gets, for reads and writes alike.
    for (const [method, path, body] of [
      ['GET', '/tenants/demo/identity-providers', undefined],
      ['GET', '/tenants/demo/identity-providers/corp', undefined],
      ['POST', '/tenants/demo/identity-providers', oidcBody('sneaky', { emailDomains: [] })],
      ['PATCH', '/tenants/demo/identity-providers/corp', { enabled: false }],
      ['DELETE', '/tenants/demo/identity-providers/corp', undefined],
      ['GET', '/tenants/demo/group-mappings', undefined],
      ['POST', '/tenants/demo/group-mappings', { groupName: 'g', scopes: ['mcp'] }],
    ] as const) {
      await refused(api(method, path, body, tenantAdmin), 404, 'not_found');
    }
    expect((await ok(api('GET', '/tenants/demo/identity-providers/corp')))['enabled']).toBe(true);

    // The auditor reads every tenant's providers (never a secret), and changes nothing.
    const read = await api('GET', '/tenants/demo/identity-providers', undefined, auditor);
    expect(read.status).toBe(200);
    expect(read.text).not.toContain(idp.clientSecret);
    expect((await api('GET', `/tenants/${OTHER}/group-mappings`, undefined, auditor)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', `/tenants/${OTHER}/identity-providers`, oidcBody('aud', { emailDomains: [] })],
      ['PATCH', `/tenants/${OTHER}/identity-providers/mine`, { enabled: true }],
      ['DELETE', `/tenants/${OTHER}/identity-providers/mine`, undefined],
      ['POST', `/tenants/${OTHER}/group-mappings`, { groupName: 'h', scopes: ['mcp'] }],
      ['DELETE', `/tenants/${OTHER}/group-mappings/${String(mapping.json['id'])}`, undefined],
    ] as const) {
      await refused(api(method, path, body, auditor), 403, 'insufficient_role');
    }
    expect((await api('DELETE', `/tenants/${OTHER}/identity-providers/mine`, undefined, tenantAdmin)).status).toBe(204);
  });
});
