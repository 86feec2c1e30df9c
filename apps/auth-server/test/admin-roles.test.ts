import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, type AuditEvent } from '@airlock/contracts';
import { base32Decode, hotp, totpStep } from '../src/admin-totp/totp.js';
import { ADMIN_CLI_CLIENT_ID } from '../src/oidc/admin-cli-client.js';
import { adminApiAudience } from '../src/oidc/resource-catalog.service.js';
import { adminApi, BOOTSTRAP_ADMIN, clientCredentialsToken, createAdminTenantClient, type AdminApiAnswer } from './support/admin-principals.js';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { browse, formFor } from './support/browser.js';
import { CookieJar, OAuthFlow, REDIRECT } from './support/oauth-flow.js';
import { operationsOf } from './support/openapi-check.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';

// Admin roles end to end: every operation of the OpenAPI document authorized by role and tenant set, the
// secrets no GET returns, refusal of a removed, disabled or revoked admin on its next call, an admin
// person signing in with password + TOTP, and the break-glass path recorded in the audit trail.

type Json = Record<string, unknown>;

const suffix = randomBytes(3).toString('hex');
const A = `ra-${suffix}`;
const B = `rb-${suffix}`;
const GHOST = `rg-${suffix}`;
const NO_SUCH_TENANT = { error: 'not_found', error_description: 'no such tenant' };

let server: AuthServerHarness;
let store: SessionStoreStandIn;
let root: string;
let document: Json;
const audit: AuditEvent[] = [];

/** What was made in a tenant: concrete values for every path parameter, and the secrets it holds. */
interface Seeded {
  params: Record<string, string>;
  secrets: string[];
}
const seeded: Record<string, Seeded> = {};

const api = (bearer: string, method: string, path: string, body?: unknown) => adminApi(server, bearer, method, path, body);

async function ok(answer: Promise<AdminApiAnswer>, status = 200): Promise<Json> {
  const done = await answer;
  expect(done.status, done.text).toBe(status);
  return done.json;
}

/** A user, a confidential client, a server with credentials and a tool, an initial access token, an identity provider with its client secret: every kind of secret the API takes or makes. */
async function seed(slug: string): Promise<Seeded> {
  await ok(api(root, 'POST', '/tenants', { slug, displayName: `Tenant ${slug}` }), 201);
  const user = await ok(api(root, 'POST', `/tenants/${slug}/users`, { email: `u@${slug}.example`, password: `pw-${randomBytes(12).toString('hex')}` }), 201);
  const client = await ok(api(root, 'POST', `/tenants/${slug}/clients`, { client_name: 'Automation', grant_types: ['client_credentials'] }), 201);
  const header = `Bearer upstream-${randomBytes(16).toString('hex')}`;
  await ok(api(root, 'POST', `/tenants/${slug}/servers`, { name: 'wiki', transport: 'http', url: 'https://wiki.example/mcp', credentialKind: 'static_header', secrets: { header: { name: 'authorization', value: header } } }), 201);
  const upstreamClientSecret = `upstream-cs-${randomBytes(16).toString('hex')}`;
  await ok(
    api(root, 'POST', `/tenants/${slug}/servers`, {
      name: 'crm',
      transport: 'http',
      url: 'https://crm.example/mcp',
      credentialKind: 'client_credentials',
      secrets: { tokenUrl: 'https://crm.example/token', clientId: 'airlock', clientSecret: upstreamClientSecret },
    }),
    201,
  );
  await ok(api(root, 'PUT', `/tenants/${slug}/servers/wiki/tools`, { tools: [{ name: 'read' }] }));
  await ok(api(root, 'PUT', `/tenants/${slug}/registration-policy`, { policy: 'initial_access_token' }));
  const iat = await ok(api(root, 'POST', `/tenants/${slug}/initial-access-tokens`, { expiresIn: 3600 }), 201);
  const idpClientSecret = `idp-cs-${randomBytes(16).toString('hex')}`;
  await ok(api(root, 'POST', `/tenants/${slug}/identity-providers`, { slug: 'corp', kind: 'oidc', displayName: 'Corp', config: { issuer: 'https://idp.example', clientId: 'airlock' }, clientSecret: idpClientSecret }), 201);
  return {
    params: { tenant: slug, id: String(user['id']), clientId: String(client['client_id']), name: 'wiki', tool: 'read', provider: 'corp', sessionId: `s-${randomBytes(16).toString('hex')}` },
    secrets: [String(client['client_secret']), header, header.slice('Bearer '.length), upstreamClientSecret, String(iat['initial_access_token']), idpClientSecret],
  };
}

/** The document's operations, paths below the API prefix (as `api()` takes them). */
const operations = () => operationsOf(document).map((op) => ({ ...op, path: op.path.replace(/^\/admin\/v1/, '') }));

/** `/tenants/{tenant}/users/{id}` with the given values. */
const fill = (path: string, params: Record<string, string>) => path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? 'x'));

/** Everything readable of a tenant, as the platform admin sees it (to prove nothing changed). */
async function snapshot(slug: string): Promise<unknown[]> {
  const s = seeded[slug]!.params;
  return Promise.all(
    [`/tenants/${slug}`, `/tenants/${slug}/users`, `/tenants/${slug}/users/${s['id']}`, `/tenants/${slug}/clients`, `/tenants/${slug}/clients/${s['clientId']}`, `/tenants/${slug}/servers/wiki`, `/tenants/${slug}/keys`].map(async (path) => {
      const answer = await api(root, 'GET', path);
      return { path, status: answer.status, body: answer.json };
    }),
  );
}

async function grant(principal: 'users' | 'clients', id: string, role: Json): Promise<void> {
  await ok(api(root, 'PUT', `/role-assignments/${principal}/${encodeURIComponent(id)}`, role));
}

/** An automation client of the admin tenant holding `role`, and a token of it. */
async function automation(name: string, role: Json): Promise<{ id: string; secret: string; token: string }> {
  const client = await createAdminTenantClient(server, root, `${name}-${suffix}`);
  await grant('clients', client.id, role);
  return { ...client, token: await clientCredentialsToken(server, client) };
}

async function audited(action: string): Promise<AuditEvent[]> {
  await server.queues.drain(Queues.audit);
  return audit.filter((event) => event.action === action);
}

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  server = await startAuthServerHarness({ SESSION_STORE_URL: store.url });
  store.useIssuer(server.url, server.hot);
  server.queues.work<AuditEvent>(Queues.audit, async (job) => {
    audit.push(job.data);
  });
  root = await clientCredentialsToken(server, BOOTSTRAP_ADMIN);
  seeded[A] = await seed(A);
  seeded[B] = await seed(B);
  const answer = await fetch(`${server.url}/admin/v1/openapi.json`);
  document = (await answer.json()) as Json;
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

describe('a tenant admin', () => {
  it('gets for another tenant, through every {tenant} operation of the OpenAPI document, exactly what a tenant that does not exist gets, and changes nothing there', async () => {
    const admin = await automation('ta', { role: 'tenant-admin', tenants: [A] });
    const tenantOperations = operations().filter((op) => op.path.includes('{tenant}'));
    expect(tenantOperations.length).toBeGreaterThan(20);
    const before = await snapshot(B);
    for (const { method, path, operation } of tenantOperations) {
      const label = `${method.toUpperCase()} ${path}`;
      const body = operation['requestBody'] ? {} : undefined;
      const other = await api(admin.token, method.toUpperCase(), fill(path, seeded[B]!.params), body);
      const ghost = await api(admin.token, method.toUpperCase(), fill(path, { ...seeded[B]!.params, tenant: GHOST }), body);
      expect(other.status, label).toBe(404);
      expect(other.text, label).toBe(ghost.text);
      expect(other.json, label).toEqual(NO_SUCH_TENANT);
      if (method === 'get') {
        // And the handlers answer an unknown tenant the same way: the body says nothing about existence.
        expect((await api(root, 'GET', fill(path, { ...seeded[B]!.params, tenant: GHOST }))).json, label).toEqual(NO_SUCH_TENANT);
      }
    }
    expect(await snapshot(B)).toEqual(before);
    expect(store.calls.filter((call) => call.path.includes(B))).toEqual([]);
  });

  it('manages its own tenants, sees only them in the tenant list, and may not create or delete tenants or touch roles', async () => {
    const admin = await automation('ta2', { role: 'tenant-admin', tenants: [A] });
    expect((await api(admin.token, 'GET', `/tenants/${A}/users`)).status).toBe(200);
    expect((await api(admin.token, 'PATCH', `/tenants/${A}`, { displayName: 'Renamed by its admin' })).status).toBe(200);
    const listed = await ok(api(admin.token, 'GET', '/tenants'));
    expect((listed['items'] as Json[]).map((tenant) => tenant['slug'])).toEqual([A]);
    for (const [method, path, body] of [
      ['POST', '/tenants', { slug: `rx-${suffix}`, displayName: 'X' }],
      ['DELETE', `/tenants/${A}`, undefined],
      ['GET', '/role-assignments', undefined],
      ['PUT', `/role-assignments/clients/${admin.id}`, { role: 'platform-admin' }],
    ] as const) {
      const refused = await api(admin.token, method, path, body);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.json['error'], `${method} ${path}`).toBe('insufficient_role');
    }
    expect((await api(root, 'GET', `/tenants/rx-${suffix}`)).status).toBe(404);
    expect((await api(root, 'GET', `/tenants/${A}`)).status).toBe(200);
  });
});

describe('an auditor', () => {
  it('is refused every non-GET operation, reads every GET of its tenants, and no GET answer holds a secret', async () => {
    const auditor = await automation('aud', { role: 'auditor', tenants: [A] });
    const before = await snapshot(A);
    const secrets = [...seeded[A]!.secrets, ...seeded[B]!.secrets];
    let reads = 0;
    for (const { method, path, operation } of operations()) {
      if (path === '/openapi.json') continue;
      const label = `${method.toUpperCase()} ${path}`;
      const url = fill(path, seeded[A]!.params);
      // The document says who may call it; what the server does below must agree.
      const documentedForAuditors = (operation['x-airlock-roles'] as string[]).includes('auditor');
      expect(documentedForAuditors, label).toBe(method === 'get' && (path.includes('{tenant}') || path === '/tenants' || path === '/audit' || path === '/me' || path === '/metrics/tool-calls'));
      if (method !== 'get') {
        const refused = await api(auditor.token, method.toUpperCase(), url, operation['requestBody'] ? {} : undefined);
        expect(refused.status, label).toBe(403);
        expect(refused.json['error'], label).toBe('insufficient_role');
        continue;
      }
      const read = await api(auditor.token, 'GET', url);
      if (!path.includes('{tenant}') && path !== '/tenants' && path !== '/me' && path !== '/metrics/tool-calls') {
        // Platform-level reads (who holds which role, the platform's log) are for platform admins (and the log for auditors of every tenant).
        expect(read.status, label).toBe(403);
        continue;
      }
      expect(read.status, `${label}: ${read.text.slice(0, 300)}`).toBe(200);
      reads++;
      // Neither the auditor nor the platform admin ever reads a secret back.
      const asPlatform = await api(root, 'GET', url);
      for (const secret of secrets) {
        expect(read.text, label).not.toContain(secret);
        expect(asPlatform.text, label).not.toContain(secret);
      }
    }
    expect(reads).toBeGreaterThan(8);
    expect(await snapshot(A)).toEqual(before);
  });

  it('of every tenant lists them all, and still cannot write', async () => {
    const auditor = await automation('aud-all', { role: 'auditor', tenants: 'all' });
    const slugs = ((await ok(api(auditor.token, 'GET', '/tenants?limit=100')))['items'] as Json[]).map((tenant) => tenant['slug']);
    expect(slugs).toEqual(expect.arrayContaining([A, B]));
    expect((await api(auditor.token, 'GET', `/tenants/${B}/servers/wiki`)).status).toBe(200);
    expect((await api(auditor.token, 'PATCH', `/tenants/${B}`, { displayName: 'No' })).status).toBe(403);
  });
});

describe('refusal on the next call', () => {
  /** Calls until refused (at most 1 s); returns the refusal and how long after the change it came. */
  async function refusedWithin(bearer: string, changedAt: number): Promise<{ answer: AdminApiAnswer; ms: number }> {
    for (;;) {
      const answer = await api(bearer, 'GET', `/tenants/${A}`);
      const ms = Date.now() - changedAt;
      if (answer.status !== 200 || ms > 1000) return { answer, ms };
    }
  }

  it('of a valid admin-tenant token whose principal holds no role: 403 access_denied', async () => {
    const client = await createAdminTenantClient(server, root, `norole-${suffix}`);
    const refused = await api(await clientCredentialsToken(server, client), 'GET', '/tenants');
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: 'access_denied', error_description: 'the caller holds no admin role' });
  });

  it('when its role is removed', async () => {
    const admin = await automation('rm', { role: 'tenant-admin', tenants: [A] });
    expect((await api(admin.token, 'GET', `/tenants/${A}`)).status).toBe(200);
    expect((await api(root, 'DELETE', `/role-assignments/clients/${admin.id}`)).status).toBe(204);
    const { answer, ms } = await refusedWithin(admin.token, Date.now());
    expect(answer.status).toBe(403);
    expect(answer.json['error']).toBe('access_denied');
    expect(ms).toBeLessThan(1000);
  });

  it('when its client is disabled', async () => {
    const admin = await automation('dis', { role: 'platform-admin' });
    expect((await api(admin.token, 'GET', `/tenants/${A}`)).status).toBe(200);
    expect((await api(root, 'PATCH', `/admin-clients/${admin.id}`, { disabled: true })).status).toBe(200);
    const { answer, ms } = await refusedWithin(admin.token, Date.now());
    // Disabling revokes the client's tokens (401 invalid_token) before its role would stop applying (403).
    expect(answer.status).toBe(401);
    expect(answer.json['error']).toBe('invalid_token');
    expect(ms).toBeLessThan(1000);
  });

  it('when its client row says disabled, even without the revocation marker (a lost hot store)', async () => {
    const admin = await automation('dis2', { role: 'platform-admin' });
    expect((await api(admin.token, 'GET', `/tenants/${A}`)).status).toBe(200);
    await server.infra.pg.query('UPDATE oauth_clients SET disabled_at = now() WHERE client_id = $1', [admin.id]);
    const { answer, ms } = await refusedWithin(admin.token, Date.now());
    expect(answer.json).toEqual({ error: 'access_denied', error_description: 'the caller holds no admin role' });
    expect(ms).toBeLessThan(1000);
  });

  it('when a tenant in its set is deleted, it loses it', async () => {
    const doomed = `rd-${suffix}`;
    await ok(api(root, 'POST', '/tenants', { slug: doomed, displayName: 'Doomed' }), 201);
    const admin = await automation('del', { role: 'tenant-admin', tenants: [doomed, A] });
    expect((await api(admin.token, 'GET', `/tenants/${doomed}`)).status).toBe(200);
    expect((await api(root, 'DELETE', `/tenants/${doomed}`)).status).toBe(204);
    await ok(api(root, 'POST', '/tenants', { slug: doomed, displayName: 'Same slug, another tenant' }), 201);
    expect((await api(admin.token, 'GET', `/tenants/${doomed}`)).json).toEqual(NO_SUCH_TENANT);
    const roles = (await ok(api(root, 'GET', '/role-assignments')))['items'] as Json[];
    expect(roles.find((role) => role['principalId'] === admin.id)).toMatchObject({ role: 'tenant-admin', tenants: [A] });
  });
});

describe('the list of role assignments', () => {
  it('names each principal (email, name, disabled), pages oldest first without repeats, and searches by email, name or client id', async () => {
    const tag = `ls${suffix}`;
    const people: string[] = [];
    for (const n of [1, 2, 3]) {
      const person = await ok(api(root, 'POST', '/admin-users', { email: `${tag}-${n}@example.com`, password: `pw-${randomBytes(12).toString('hex')}`, displayName: `Lister ${n}` }), 201);
      people.push(String(person['id']));
      await grant('users', String(person['id']), { role: 'auditor', tenants: [A] });
    }
    const bot = await automation(`${tag}-bot`, { role: 'auditor', tenants: 'all' });
    await ok(api(root, 'PATCH', `/admin-users/${people[2]}`, { disabled: true }));

    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const listed: Json = await ok(api(root, 'GET', `/role-assignments?limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      const items = listed['items'] as Json[];
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items);
      cursor = listed['nextCursor'] as string | null;
    } while (cursor);
    expect(new Set(seen.map((item) => item['principalId'])).size).toBe(seen.length);
    const created = seen.map((item) => Date.parse(String(item['createdAt'])));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(seen.find((item) => item['principalId'] === people[0])).toMatchObject({ principalType: 'users', email: `${tag}-1@example.com`, name: 'Lister 1', disabled: false, role: 'auditor', tenants: [A] });
    expect(seen.find((item) => item['principalId'] === people[2])).toMatchObject({ email: `${tag}-3@example.com`, disabled: true });
    expect(seen.find((item) => item['principalId'] === bot.id)).toMatchObject({ principalType: 'clients', email: null, name: `${tag}-bot-${suffix}`, disabled: false, tenants: 'all' });

    const byEmail = await ok(api(root, 'GET', `/role-assignments?q=${tag.toUpperCase()}-2`));
    expect((byEmail['items'] as Json[]).map((item) => item['principalId'])).toEqual([people[1]]);
    const byPrefix = await ok(api(root, 'GET', `/role-assignments?q=${tag}`));
    expect((byPrefix['items'] as Json[]).map((item) => item['principalId'])).toEqual([...people, bot.id]);
    const byClientId = await ok(api(root, 'GET', `/role-assignments?q=${encodeURIComponent(bot.id)}`));
    expect((byClientId['items'] as Json[]).map((item) => item['principalId'])).toEqual([bot.id]);
    expect((await ok(api(root, 'GET', '/role-assignments?q=%25')))['items']).toEqual([]);
    expect((await api(root, 'GET', '/role-assignments?cursor=nope!')).json['error']).toBe('invalid_request');

    const found = await ok(api(root, 'GET', `/admin-users?q=lister%202`));
    expect((found['items'] as Json[]).map((user) => user['email'])).toEqual([`${tag}-2@example.com`]);
    const disabled = await ok(api(root, 'GET', `/admin-users?q=${tag}&disabled=true`));
    expect((disabled['items'] as Json[]).map((user) => user['id'])).toEqual([people[2]]);
    const tenantAdmin = await automation(`${tag}-ta`, { role: 'tenant-admin', tenants: [A] });
    expect((await api(tenantAdmin.token, 'GET', '/admin-users')).status).toBe(403);
    expect((await api(tenantAdmin.token, 'GET', '/role-assignments')).status).toBe(403);
  });
});

describe('an admin person', () => {
  const person = { email: `ops-${suffix}@example.com`, password: `pw-${randomBytes(12).toString('hex')}` };
  let userId: string;
  let secret: Buffer;

  beforeAll(async () => {
    userId = String((await ok(api(root, 'POST', '/admin-users', person), 201))['id']);
    const enrollment = await ok(api(root, 'POST', `/admin-users/${userId}/totp`), 201);
    const uri = new URL(String(enrollment['otpauth_uri']));
    expect(uri.protocol).toBe('otpauth:');
    secret = base32Decode(uri.searchParams.get('secret')!);
    await grant('users', userId, { role: 'tenant-admin', tenants: [A] });
  });

  const flow = (totp: string) => new OAuthFlow(server.url, 'admin', { ...person, totp } as typeof person);
  const cli = { clientId: ADMIN_CLI_CLIENT_ID, registrationAccessToken: '' };
  const authorization = () => ({ resource: adminApiAudience(server.url), scope: 'admin' });

  /** Posts the admin tenant's login form with this code; returns the answer. */
  async function signIn(totp: string): Promise<Response> {
    const jar = new CookieJar();
    let response = await flow(totp).authorizeRequest(jar, {
      client_id: ADMIN_CLI_CLIENT_ID,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...authorization(),
    });
    while (response.status === 302 || response.status === 303) response = await browse(jar, new URL(response.headers.get('location')!, server.url).href);
    const login = formFor(await response.text(), '/login');
    expect(Object.keys(login.fields)).toContain('csrf');
    return browse(jar, `${server.url}${login.action}`, { form: { ...login.fields, ...person, totp } });
  }

  it('is refused with a wrong one-time code, with the same words as a wrong password', async () => {
    const now = totpStep(Date.now());
    const wrong = ['000000', '999999'].find((code) => ![now - 1, now, now + 1].some((step) => hotp(secret, step) === code))!;
    const refused = await signIn(wrong);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('The email address, password or one-time code is not correct.');
    expect((await signIn('')).status).toBe(401);
  });

  it('signs in with password and TOTP on the login page, gets an admin API token by code + PKCE, and acts as a tenant admin; the code is not accepted twice', async () => {
    const code = hotp(secret, totpStep(Date.now()));
    const tokens = await flow(code).tokens(cli, authorization());
    const token = String(tokens['access_token']);
    expect(tokens['scope']).toBe('admin');
    const listed = await ok(api(token, 'GET', '/tenants'));
    expect((listed['items'] as Json[]).map((tenant) => tenant['slug'])).toEqual([A]);
    expect((await api(token, 'GET', `/tenants/${B}`)).json).toEqual(NO_SUCH_TENANT);
    // Replay: the same code, even within its 30 s, signs nobody in again.
    expect((await signIn(code)).status).toBe(401);

    // Disabled: refused on the next call.
    expect((await api(root, 'PATCH', `/admin-users/${userId}`, { disabled: true })).status).toBe(200);
    const changedAt = Date.now();
    const refused = await api(token, 'GET', '/tenants');
    expect(Date.now() - changedAt).toBeLessThan(1000);
    expect(refused.status).toBe(403);
    expect(refused.json['error']).toBe('access_denied');
  });

  it('is enabled again, and its role revoked once (a second revocation finds none)', async () => {
    expect((await api(root, 'PATCH', `/admin-users/${userId}`, { disabled: false })).status).toBe(200);
    expect((await api(root, 'DELETE', `/role-assignments/users/${userId}`)).status).toBe(204);
    expect((await api(root, 'DELETE', `/role-assignments/users/${userId}`)).status).toBe(404);
  });

  it("signs in to the admin tenant's account page only with the one-time code too", async () => {
    const jar = new CookieJar();
    const page = await browse(jar, `${server.url}/t/admin/account`);
    const form = formFor(await page.text(), '/login');
    expect(Object.keys(form.fields)).toContain('csrf');
    const passwordOnly = await browse(jar, `${server.url}${form.action}`, { form: { ...form.fields, ...person } });
    expect(passwordOnly.status).toBe(401);
    // The next step's code (within the window, after the one the login page used).
    const next = hotp(secret, totpStep(Date.now()) + 1);
    const signedIn = await browse(jar, `${server.url}${form.action}`, { form: { ...formFor(await passwordOnly.text(), '/login').fields, ...person, totp: next } });
    expect(signedIn.status).toBe(303);
  });
});

describe('audit', () => {
  it('records the break-glass bootstrap client as such, and every other admin with its role', async () => {
    await ok(api(root, 'PATCH', `/tenants/${A}`, { displayName: 'By break-glass' }));
    const platform = await automation('pa', { role: 'platform-admin' });
    await ok(api(platform.token, 'PATCH', `/tenants/${A}`, { displayName: 'By a platform admin' }));
    const updates = await audited('admin.tenant.update');
    expect(updates.find((event) => event.actor.clientId === BOOTSTRAP_ADMIN.id)?.details['actor']).toEqual({ role: 'platform-admin', breakGlass: true });
    expect(updates.find((event) => event.actor.clientId === platform.id)?.details['actor']).toEqual({ role: 'platform-admin', breakGlass: false });
  });

  it("records an admin's refused attempts on the platform's log: another tenant's data (read or write) and a write beyond its role", async () => {
    const tenantAdmin = await automation('probe', { role: 'tenant-admin', tenants: [A] });
    const auditor = await automation('aud-probe', { role: 'auditor', tenants: [A] });
    expect((await api(tenantAdmin.token, 'GET', `/tenants/${B}/users`)).status).toBe(404);
    expect((await api(tenantAdmin.token, 'PATCH', `/tenants/${B}`, { displayName: 'Not yours' })).status).toBe(404);
    expect((await api(auditor.token, 'PATCH', `/tenants/${A}`, { displayName: 'Auditors read' })).status).toBe(403);
    const refusals = [...(await audited('admin.listUsers')), ...(await audited('admin.tenant.update'))].filter((event) => event.outcome !== 'success');
    const of = (clientId: string) => refusals.filter((event) => event.actor.clientId === clientId).map((event) => ({ tenant: event.tenant, action: event.action, outcome: event.outcome, details: event.details }));
    expect(of(tenantAdmin.id)).toEqual([
      { tenant: 'admin', action: 'admin.listUsers', outcome: 'refused', details: { actor: { role: 'tenant-admin', breakGlass: false }, reason: 'not_found', tenant: B } },
      { tenant: 'admin', action: 'admin.tenant.update', outcome: 'refused', details: { actor: { role: 'tenant-admin', breakGlass: false }, reason: 'not_found', tenant: B } },
    ]);
    expect(of(auditor.id)).toEqual([
      { tenant: 'admin', action: 'admin.tenant.update', outcome: 'denied', details: { actor: { role: 'auditor', breakGlass: false }, reason: 'insufficient_role', tenant: A } },
    ]);
  });

  it("lets platform admins and auditors of every tenant read the platform's own log through the API, and nobody else", async () => {
    const prober = await automation('probe2', { role: 'tenant-admin', tenants: [A] });
    expect((await api(prober.token, 'GET', `/tenants/${B}/users`)).status).toBe(404);
    // Written to Postgres as the session store's audit writer writes the queued record.
    const [event] = (await audited('admin.listUsers')).filter((recorded) => recorded.actor.clientId === prober.id);
    await server.infra.pg.query(
      `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, request_id, details)
       VALUES ($1, (SELECT id FROM tenants WHERE slug = 'admin'), $2, $3, $4, $5, $6, $7, $8, $9)`,
      [event!.id, event!.occurredAt, event!.actor.subject, event!.actor.clientId, event!.action, event!.target ?? null, event!.outcome, event!.requestId ?? null, JSON.stringify(event!.details)],
    );
    const allAuditor = await automation('aud-every', { role: 'auditor', tenants: 'all' });
    const page = await ok(api(allAuditor.token, 'GET', `/audit?actor=${encodeURIComponent(prober.id)}&outcome=refused`));
    expect((page['items'] as Json[]).map((item) => [item['action'], item['outcome']])).toEqual([['admin.listUsers', 'refused']]);
    expect((await ok(api(root, 'GET', '/audit?limit=1')))['items']).toHaveLength(1);
    for (const token of [prober.token, (await automation('aud-a', { role: 'auditor', tenants: [A] })).token]) {
      const refused = await api(token, 'GET', '/audit');
      expect(refused.status).toBe(403);
      expect(refused.json['error']).toBe('insufficient_role');
    }
  });
});
