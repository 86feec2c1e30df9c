import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedMcpUrl, Queues, type AuditEvent, type Session } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { serializeHotSession, sessionRecordKey } from '@airlock/session-client';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { browse, formFor } from './support/browser.js';
import { CookieJar, OAuthFlow, type RegisteredClient } from './support/oauth-flow.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';

// The admin API's resources beyond create/read/update/delete (issue 14 item 2): tenants with counts,
// searched and paged users, sign-in reset, "sign out everywhere", grants per user and per client, login
// sessions, clients' last use, per-tool enable/disable; cursor paging stable while rows come and go; and
// every write audited by the one interceptor (actor with role, tenant, target, before/after, refusals).

type Json = Record<string, unknown> & { items?: Array<Record<string, unknown>>; nextCursor?: string | null };

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };
const suffix = randomBytes(4).toString('hex');

let h: AuthServerHarness;
let store: SessionStoreStandIn;
let token: string;
let resource: string;
const audit: AuditEvent[] = [];

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${h.url}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Json };
}

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const answer = await api(method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.json)}`).toBeLessThan(300);
  return answer.json;
}

/**
 * Every item of a list, page by page (`limit` a page), calling `between` after each page: the keys seen,
 * in order. Stable paging means each row that existed throughout is seen exactly once.
 */
async function walk(path: string, key: string, limit: number, between: (page: number) => Promise<void> = async () => undefined): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null | undefined;
  for (let pageIndex = 0; pageIndex < 100; pageIndex++) {
    const separator = path.includes('?') ? '&' : '?';
    const page = await ok('GET', `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...(page.items ?? []).map((item) => String(item[key])));
    cursor = page.nextCursor;
    if (!cursor) return seen;
    await between(pageIndex);
  }
  throw new Error('too many pages');
}

async function audited(action: string, target?: string): Promise<AuditEvent[]> {
  await h.queues.drain(Queues.audit);
  return audit.filter((event) => event.action === action && (target === undefined || event.target === target));
}

const settle = () => h.queues.drain(Queues.auth, 20_000);

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  h = await startAuthServerHarness({ SESSION_STORE_URL: store.url });
  store.useIssuer(h.url, h.hot);
  resource = aggregatedMcpUrl(h.config.gatewayPublicUrl, 'demo');
  h.queues.work<AuditEvent>(Queues.audit, async (job) => {
    audit.push(job.data);
  });
  const issued = await postForm(`${h.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  token = String(issued.json['access_token']);
});
afterAll(async () => {
  await h?.close();
  await store?.close();
});

describe('tenants', () => {
  it('lists tenants with their counts, searched by prefix, paged stably while tenants are created and deleted', async () => {
    const slug = (name: string) => `pg-${suffix}-${name}`;
    for (const name of ['b', 'd', 'f', 'h', 'j']) await ok('POST', '/tenants', { slug: slug(name), displayName: `Paging ${name}` });
    await ok('POST', `/tenants/${slug('d')}/users`, { email: 'counted@example.com', password: 'correct horse battery' });

    const seen = await walk(`/tenants?q=pg-${suffix}`, 'slug', 2, async (page) => {
      if (page !== 0) return;
      // Between pages: one before the cursor, one after it, and one already seen goes.
      await ok('POST', '/tenants', { slug: slug('a'), displayName: 'Before' });
      await ok('POST', '/tenants', { slug: slug('z'), displayName: 'After' });
      await ok('DELETE', `/tenants/${slug('b')}`);
    });
    expect(seen).toEqual([slug('b'), slug('d'), slug('f'), slug('h'), slug('j'), slug('z')]);
    const counted = await ok('GET', `/tenants/${slug('d')}`);
    expect(counted['counts']).toEqual({ users: 1, clients: 0, servers: 0, liveSessions: 0 });
    const listed = (await ok('GET', `/tenants?q=${slug('d')}`)).items;
    expect(listed?.map((item) => item['counts'])).toEqual([{ users: 1, clients: 0, servers: 0 }]);
    expect((await ok('GET', `/tenants?q=PAGING%20f`)).items?.map((item) => item['slug'])).toEqual([slug('f')]);
  });
});

describe('users', () => {
  const tenant = `usr-${suffix}`;
  beforeAll(async () => {
    await ok('POST', '/tenants', { slug: tenant, displayName: 'Users' });
    for (const [email, displayName] of [
      ['alice@example.com', 'Alice Smith'],
      ['ALAN@example.com', 'Alan Turing'],
      ['bob@example.com', 'Zed Bob'],
      ['carol@example.com', null],
    ] as const) {
      await ok('POST', `/tenants/${tenant}/users`, { email, password: 'correct horse battery', ...(displayName ? { displayName } : {}) });
    }
  });

  it('searches by a case-insensitive prefix of the email or the display name, with an index', async () => {
    const emails = async (query: string) => (await ok('GET', `/tenants/${tenant}/users?${query}`)).items?.map((item) => item['email']);
    expect(await emails('q=AL')).toEqual(['alan@example.com', 'alice@example.com']);
    expect(await emails('q=zed')).toEqual(['bob@example.com']);
    expect(await emails('q=%25')).toEqual([]);
    expect(await emails('q=alice%20s')).toEqual(['alice@example.com']);
    // The prefix search can use the expression index (not a scan of every user of every tenant).
    const client = await h.infra.pg.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM users WHERE tenant_id = gen_random_uuid() AND lower(email) LIKE 'al' || '%'`,
      );
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('users_tenant_email_prefix_idx');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('pages users without a duplicate or a skip while users are added and removed between pages', async () => {
    const before = await walk(`/tenants/${tenant}/users`, 'email', 100);
    const seen = await walk(`/tenants/${tenant}/users`, 'email', 1, async (page) => {
      if (page !== 1) return;
      await ok('POST', `/tenants/${tenant}/users`, { email: 'aaron@example.com', password: 'correct horse battery' });
      await ok('POST', `/tenants/${tenant}/users`, { email: 'zoe@example.com', password: 'correct horse battery' });
    });
    expect(seen).toEqual([...before, 'zoe@example.com']);
    expect(new Set(seen).size).toBe(seen.length);
    expect((await ok('GET', `/tenants/${tenant}/users?disabled=true`)).items).toEqual([]);
  });

  it('sorts newest first with ?sort=created, paged stably while users are added', async () => {
    const newest = await walk(`/tenants/${tenant}/users?sort=created`, 'email', 100);
    expect(newest.slice(0, 2)).toEqual(['zoe@example.com', 'aaron@example.com']);
    const seen = await walk(`/tenants/${tenant}/users?sort=created`, 'email', 2, async (page) => {
      // A user created now sorts before the cursor: not on a later page, and nothing repeats or goes missing.
      if (page === 0) await ok('POST', `/tenants/${tenant}/users`, { email: 'late@example.com', password: 'correct horse battery' });
    });
    expect(seen).toEqual(newest);
    // A cursor of one sort is refused by the other (it names another key).
    const cursor = (await ok('GET', `/tenants/${tenant}/users?limit=1`)).nextCursor;
    expect(await api('GET', `/tenants/${tenant}/users?sort=created&cursor=${cursor}`)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
  });

  it('refuses a cursor it did not hand out, an unknown user and a malformed search, in the error shape', async () => {
    expect(await api('GET', `/tenants/${tenant}/users?cursor=%21%21`)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await api('POST', `/tenants/${tenant}/users/00000000-0000-4000-8000-000000000000/sign-out`, {})).toMatchObject({ status: 404, json: { error: 'not_found' } });
    expect(await api('POST', `/tenants/${tenant}/users/00000000-0000-4000-8000-000000000000/reset-sign-in`, { extra: 1 })).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect((await api('GET', `/tenants/${tenant}/users?disabled=maybe`)).status).toBe(400);
  });
});

describe('sign-in, grants and sessions of a user (tenant demo)', () => {
  let client: RegisteredClient;
  let userCount = 0;

  async function newUser() {
    userCount += 1;
    const email = `adm-${suffix}-${userCount}@example.com`;
    const password = `password of user ${userCount}`;
    const id = await h.createUser('demo', email, password);
    return { id, email, password, flow: new OAuthFlow(h.url, 'demo', { email, password }) };
  }

  /** Signs in in a browser and redeems the code: the browser, and the tokens (with a refresh token). */
  async function signIn(user: Awaited<ReturnType<typeof newUser>>) {
    const jar = new CookieJar();
    const { code, verifier } = await user.flow.code(jar, client, { resource });
    const redeemed = await user.flow.redeem(client, code, verifier, { resource });
    expect(redeemed.status, JSON.stringify(redeemed.json)).toBe(200);
    return { jar, refreshToken: String(redeemed.json['refresh_token']) };
  }

  /** True when an authorization request from this browser shows the login page again. */
  async function asksToSignIn(user: Awaited<ReturnType<typeof newUser>>, jar: CookieJar): Promise<boolean> {
    let response = await user.flow.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: 'http://127.0.0.1:9/callback', response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', scope: 'mcp' });
    for (let i = 0; i < 5 && (response.status === 302 || response.status === 303); i++) {
      const location = new URL(response.headers.get('location')!, h.url);
      if (!location.href.startsWith(h.url)) return false;
      response = await browse(jar, location.href);
    }
    return (await response.text()).includes('name="password"');
  }

  /** An MCP session the gateway opened for the user, through the session store's API with the gateway's token. */
  async function mcpSession(subject: string): Promise<void> {
    const gatewayToken = await postForm(
      `${h.url}/t/demo/token`,
      { grant_type: 'client_credentials' },
      { id: ServiceClients.gateway, secret: deriveServiceClientSecret(h.infra.masterKey, ServiceClients.gateway, 'demo') },
    );
    const created = await fetch(`${store.url}/v1/t/demo/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(gatewayToken.json['access_token'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'mcp', subject, clientId: client.clientId }),
    });
    expect(created.status).toBe(201);
  }

  beforeAll(async () => {
    client = await new OAuthFlow(h.url, 'demo', { email: '', password: '' }).register();
  });

  it('"sign out everywhere" ends the browser session, the refresh token and the MCP and login sessions of that user only', async () => {
    const user = await newUser();
    const other = await newUser();
    const { jar, refreshToken } = await signIn(user);
    const otherSignIn = await signIn(other);
    await mcpSession(user.id);
    await settle();
    expect(store.live('demo', user.id).map((session) => session.kind).sort()).toEqual(['login', 'mcp']);
    expect(await asksToSignIn(user, jar)).toBe(false);

    const result = await ok('POST', `/tenants/demo/users/${user.id}/sign-out`, {});
    expect(result).toEqual({ grantsRevoked: 1, sessionsEnded: 2 });
    expect(store.live('demo', user.id)).toEqual([]);
    expect((await user.flow.refresh(client, refreshToken)).json['error']).toBe('invalid_grant');
    expect(await asksToSignIn(user, jar)).toBe(true);
    // The other user keeps everything.
    expect((await other.flow.refresh(client, otherSignIn.refreshToken)).status).toBe(200);
    expect(await asksToSignIn(other, otherSignIn.jar)).toBe(false);
    const [event] = await audited('admin.user.sign_out', user.id);
    expect(event).toMatchObject({ tenant: 'demo', outcome: 'success', actor: { clientId: ADMIN.id }, details: { actor: { role: 'platform-admin', breakGlass: true }, signedOut: result } });
  });

  it('"reset sign-in" clears the password (no password signs in) and signs the user out; a new password works', async () => {
    const user = await newUser();
    const { refreshToken } = await signIn(user);
    const reset = await ok('POST', `/tenants/demo/users/${user.id}/reset-sign-in`, {});
    expect(reset).toMatchObject({ id: user.id, passwordSet: false });
    expect((await user.flow.refresh(client, refreshToken)).json['error']).toBe('invalid_grant');
    const accountSignIn = async (password: string) => {
      const jar = new CookieJar();
      const form = formFor(await (await browse(jar, `${h.url}/t/demo/account`)).text(), '/login');
      return (await browse(jar, `${h.url}${form.action}`, { form: { ...form.fields, email: user.email, password } })).status;
    };
    expect(await accountSignIn(user.password)).not.toBe(303);
    expect(await ok('PATCH', `/tenants/demo/users/${user.id}`, { password: 'a brand new password' })).toMatchObject({ passwordSet: true });
    expect(await accountSignIn('a brand new password')).toBe(303);
    const [event] = await audited('admin.user.reset_sign_in', user.id);
    expect(event?.details).toMatchObject({ before: { passwordSet: true }, after: { passwordSet: false } });
    expect(JSON.stringify(event)).not.toMatch(/argon2|password_hash/);
  });

  it('lists and revokes the grants of a user and of a client', async () => {
    const user = await newUser();
    const { refreshToken } = await signIn(user);
    const grants = await ok('GET', `/tenants/demo/users/${user.id}/grants`);
    expect(grants.items).toHaveLength(1);
    const grant = grants.items![0]!;
    expect(grant).toMatchObject({ userId: user.id, clientId: client.clientId, resource });
    const byClient = await walk(`/tenants/demo/clients/${encodeURIComponent(client.clientId)}/grants`, 'grantId', 1);
    expect(byClient).toContain(grant['grantId']);
    expect(new Set(byClient).size).toBe(byClient.length);

    const stranger = await newUser();
    expect((await api('DELETE', `/tenants/demo/users/${stranger.id}/grants/${String(grant['grantId'])}`)).status).toBe(404);
    expect((await api('DELETE', `/tenants/demo/users/${user.id}/grants/${String(grant['grantId'])}`)).status).toBe(204);
    expect((await user.flow.refresh(client, refreshToken)).json['error']).toBe('invalid_grant');
    expect((await ok('GET', `/tenants/demo/users/${user.id}/grants`)).items).toEqual([]);
    const [event] = await audited('admin.grant.revoke', `${user.id}/${String(grant['grantId'])}`);
    expect(event?.details).toMatchObject({ before: { grantId: grant['grantId'], clientId: client.clientId } });

    // Every grant of the client at once; the client stays.
    const second = await newUser();
    const kept = await signIn(second);
    const revoked = await ok('POST', `/tenants/demo/clients/${encodeURIComponent(client.clientId)}/grants/revoke`, {});
    expect(revoked['revoked']).toBeGreaterThanOrEqual(1);
    expect((await second.flow.refresh(client, kept.refreshToken)).json['error']).toBe('invalid_grant');
    expect((await ok('GET', `/tenants/demo/clients/${encodeURIComponent(client.clientId)}/grants`)).items).toEqual([]);
    expect((await api('GET', `/tenants/demo/clients/${encodeURIComponent(client.clientId)}`)).status).toBe(200);
  });

  it('ending one login session signs out the browser holding it, and only that one', async () => {
    const user = await newUser();
    const browsers = [new CookieJar(), new CookieJar()];
    for (const jar of browsers) await user.flow.code(jar, client, { resource });
    await settle();
    const logins = store.live('demo', user.id, 'login');
    expect(logins).toHaveLength(2);
    // The session store's durable rows (the stand-in keeps its sessions in memory only).
    const tenantId = (await h.tenant('demo')).id;
    for (const login of logins) {
      await h.infra.pg.query(
        `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, upstreams, created_at, last_seen_at, idle_timeout_seconds, expires_at, state, version)
         VALUES ($1, $2, 'login', $3, $4, '[]', now(), now(), 1800, now() + interval '1 hour', 'active', 1)`,
        [login.id, tenantId, user.id, login.clientId],
      );
    }
    expect((await api('DELETE', `/tenants/demo/login-sessions/${logins[0]!.id}`)).status).toBe(204);
    expect(store.live('demo', user.id, 'login').map((login) => login.id)).toEqual([logins[1]!.id]);
    const signedOut = await Promise.all(browsers.map((jar) => asksToSignIn(user, jar)));
    expect(signedOut.sort()).toEqual([false, true]);
  });

  it('lists live login sessions (subject, client, started, last activity) and ends one', async () => {
    const user = await newUser();
    const tenantId = (await h.tenant('demo')).id;
    const seed = async (createdAt: string) => {
      const id = randomBytes(24).toString('base64url');
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const session: Session = { id, tenant: 'demo', kind: 'login', subject: user.id, clientId: client.clientId, upstreams: [], createdAt, lastSeenAt: createdAt, idleTimeoutSeconds: 1800, expiresAt, state: 'active' };
      await h.infra.pg.query(
        `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, upstreams, created_at, last_seen_at, idle_timeout_seconds, expires_at, state, version)
         VALUES ($1, $2, 'login', $3, $4, '[]', $5, $5, 1800, $6, 'active', 1)`,
        [id, tenantId, user.id, client.clientId, createdAt, expiresAt],
      );
      await h.hot.set(sessionRecordKey('demo', id), serializeHotSession({ session, version: 1 }), { ttlMs: 600_000 });
      store.sessions.set(id, { ...session, tenantSlug: 'demo' });
      return id;
    };
    const first = await seed('2026-03-01T00:00:00.000Z');
    const second = await seed('2026-03-01T00:00:01.000Z');
    let late = '';
    // Between pages: one that sorts before the cursor (not shown), one after it (shown).
    const listed = await walk(`/tenants/demo/login-sessions?subject=${user.id}`, 'id', 1, async (page) => {
      if (page !== 0) return;
      await seed('2026-02-28T00:00:00.000Z');
      late = await seed('2026-03-02T00:00:00.000Z');
    });
    expect(listed).toEqual([first, second, late]);
    const page = await ok('GET', `/tenants/demo/login-sessions?subject=${user.id}`);
    expect(page.items?.find((item) => item['id'] === first)).toMatchObject({ id: first, subject: user.id, clientId: client.clientId, createdAt: '2026-03-01T00:00:00.000Z', lastSeenAt: '2026-03-01T00:00:00.000Z' });

    expect((await api('DELETE', `/tenants/demo/login-sessions/${first}`)).status).toBe(204);
    expect(store.sessions.get(first)?.state).toBe('revoked');
    expect((await api('DELETE', `/tenants/demo/login-sessions/${first}-x`)).status).toBe(404);
    expect((await audited('admin.login_session.revoke', `session:${first}`))[0]).toMatchObject({ tenant: 'demo', outcome: 'success' });
  });
});

describe('clients and tools', () => {
  const tenant = `cli-${suffix}`;
  beforeAll(async () => {
    await ok('POST', '/tenants', { slug: tenant, displayName: 'Clients' });
  });

  it('records when a client last got a token, at most once a minute, and lists clients filtered by kind and prefix', async () => {
    const created = await ok('POST', `/tenants/${tenant}/clients`, { client_id: `robot-${suffix}`, client_name: 'Robot', grant_types: ['client_credentials'] });
    const credentials = { id: String(created['client_id']), secret: String(created['client_secret']) };
    expect((await ok('GET', `/tenants/${tenant}/clients/${credentials.id}`))['last_used_at']).toBeNull();
    expect((await postForm(`${h.url}/t/${tenant}/token`, { grant_type: 'client_credentials' }, credentials)).status).toBe(200);
    const lastUse = async () => {
      for (let i = 0; i < 100; i++) {
        const value = (await ok('GET', `/tenants/${tenant}/clients/${credentials.id}`))['last_used_at'];
        if (value) return String(value);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('no last use recorded');
    };
    const first = await lastUse();
    expect(Date.now() - Date.parse(first)).toBeLessThan(60_000);
    // Within the minute another token does not write again.
    expect((await postForm(`${h.url}/t/${tenant}/token`, { grant_type: 'client_credentials' }, credentials)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastUse()).toBe(first);

    await ok('POST', `/tenants/${tenant}/clients`, { client_id: `other-${suffix}`, client_name: 'Other', grant_types: ['client_credentials'] });
    expect((await ok('GET', `/tenants/${tenant}/clients?q=robot-`)).items?.map((item) => item['client_id'])).toEqual([credentials.id]);
    expect((await ok('GET', `/tenants/${tenant}/clients?kind=dynamic`)).items).toEqual([]);
    expect((await ok('GET', `/tenants/${tenant}/clients?kind=admin`)).items).toHaveLength(2);
  });

  it('disables and enables one tool of a server, audited with before and after', async () => {
    await ok('POST', `/tenants/${tenant}/servers`, { name: 'wiki', transport: 'http', url: 'https://wiki.example/mcp' });
    await ok('PUT', `/tenants/${tenant}/servers/wiki/tools`, { tools: [{ name: 'read' }, { name: 'write', requiredScopes: ['wiki:write'] }] });
    expect(await ok('PATCH', `/tenants/${tenant}/servers/wiki/tools/write`, { enabled: false })).toMatchObject({ name: 'write', enabled: false, requiredScopes: ['wiki:write'] });
    const server = await ok('GET', `/tenants/${tenant}/servers/wiki`);
    expect((server['tools'] as Json[]).map((tool) => [tool['name'], tool['enabled']])).toEqual([
      ['read', true],
      ['write', false],
    ]);
    // Replacing the catalogue keeps an admin's switch.
    await ok('PUT', `/tenants/${tenant}/servers/wiki/tools`, { tools: [{ name: 'read' }, { name: 'write', requiredScopes: ['wiki:write'] }] });
    expect(((await ok('GET', `/tenants/${tenant}/servers/wiki`))['tools'] as Json[])[1]).toMatchObject({ enabled: false });
    expect((await api('PATCH', `/tenants/${tenant}/servers/wiki/tools/write`, {})).status).toBe(400);
    expect((await api('PATCH', `/tenants/${tenant}/servers/wiki/tools/nope`, { enabled: true })).status).toBe(404);
    const [event] = await audited('admin.tool.update', 'wiki/write');
    expect(event?.details).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
  });
});

describe('the audit interceptor', () => {
  it('records every admin write with actor, role, tenant and target, and refused writes with their outcome', async () => {
    await h.queues.drain(Queues.audit);
    const writes = audit.filter((event) => event.action.startsWith('admin.'));
    expect(writes.length).toBeGreaterThan(20);
    for (const event of writes) {
      expect(event.actor, event.action).toEqual({ clientId: ADMIN.id, subject: expect.any(String) });
      expect(event.details['actor'], event.action).toEqual({ role: 'platform-admin', breakGlass: true });
      expect(event.tenant, event.action).toEqual(expect.any(String));
      expect(event.target, event.action).toEqual(expect.any(String));
      expect(JSON.stringify(event.details), event.action).not.toMatch(/client_secret|secretsEncrypted|"secrets"/);
    }
    const created = (await audited('admin.client.create', `robot-${suffix}`))[0];
    expect(created?.details).toMatchObject({ after: { client_id: `robot-${suffix}`, kind: 'admin' } });
    expect(created?.details['before']).toBeUndefined();

    // Refused: a duplicate (409), a bad body (400), and a tenant that does not exist (kept by the platform tenant).
    expect((await api('POST', `/tenants/cli-${suffix}/clients`, { client_id: `robot-${suffix}`, client_name: 'Again', grant_types: ['client_credentials'] })).status).toBe(409);
    expect((await api('PATCH', `/tenants/cli-${suffix}/servers/wiki`, { enabled: 'yes' })).status).toBe(400);
    expect((await api('DELETE', `/tenants/gone-${suffix}/servers/wiki`)).status).toBe(404);
    const refused = await audited('admin.client.create', `robot-${suffix}`);
    expect(refused.at(-1)).toMatchObject({ tenant: `cli-${suffix}`, outcome: 'refused', details: { reason: 'conflict' } });
    expect((await audited('admin.server.update', 'wiki')).at(-1)).toMatchObject({ tenant: `cli-${suffix}`, outcome: 'refused', details: { reason: 'invalid_request' } });
    expect((await audited('admin.server.delete', 'wiki')).at(-1)).toMatchObject({ tenant: 'admin', outcome: 'refused', details: { reason: 'not_found', tenant: `gone-${suffix}` } });
  });
});
