import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { startAuthServerHarness, type AuthServerHarness } from '../support/auth-server-harness.js';
import { browse, CookieJar, formFor, pkce } from '../support/browser.js';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/callback';
/** The pinned definition hash of github/list_issues (any sha256 hex: the auth server only records it). */
const LIST_ISSUES_HASH = 'c0ffee'.padEnd(64, '0');

describe('login and consent pages', () => {
  let h: AuthServerHarness;
  let clientId: string;
  let resource: string;

  async function register(name = 'Flow Test Client'): Promise<string> {
    const response = await fetch(`${h.url}/t/demo/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: name, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
    });
    const body = (await response.json()) as { client_id: string };
    expect(response.status).toBe(201);
    return body.client_id;
  }

  /** Starts an authorization request; returns the interaction page URL. */
  async function start(jar: CookieJar, options: { client?: string; scope?: string | null; state?: string } = {}) {
    const { challenge, verifier } = pkce();
    const params = new URLSearchParams({
      client_id: options.client ?? clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: options.state ?? 'st-1',
      resource,
    });
    if (options.scope !== null) params.set('scope', options.scope ?? 'mcp');
    const response = await browse(jar, `${h.url}/t/demo/auth?${params}`);
    expect(response.status).toBe(303);
    return { location: new URL(response.headers.get('location')!, h.url).href, verifier };
  }

  /** Follows 303s within the auth server; stops at the client's redirect URI or at a page. */
  async function follow(jar: CookieJar, response: Response): Promise<Response> {
    let current = response;
    for (let i = 0; i < 10 && (current.status === 303 || current.status === 302); i++) {
      const location = new URL(current.headers.get('location')!, h.url).href;
      if (!location.startsWith(h.url)) return current;
      current = await browse(jar, location);
    }
    return current;
  }

  async function login(jar: CookieJar, page: string, email: string, password: string): Promise<Response> {
    const html = await (await browse(jar, page)).text();
    const form = formFor(html, '/login');
    return browse(jar, `${h.url}${form.action}`, { form: { ...form.fields, email, password } });
  }

  beforeAll(async () => {
    h = await startAuthServerHarness();
    await h.createUser('demo', 'alice@example.com', PASSWORD);
    // The gateway's tool catalogue: one tool every MCP grant unlocks, one that needs github:admin.
    const tenant = await h.tenant('demo');
    const serverId = randomUUID();
    await h.db.pg.query(`INSERT INTO upstream_servers (id, tenant_id, name, transport, url, updated_at) VALUES ($1, $2, 'github', 'http', 'https://gh.example/mcp', now())`, [serverId, tenant.id]);
    // list_issues carries a pinned definition (what a gateway records when it first lists the tool).
    await h.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, title, required_scopes, approved_hash, updated_at) VALUES
        (gen_random_uuid(), $1, $2, 'list_issues', 'List issues', '{mcp}', $3, now()),
        (gen_random_uuid(), $1, $2, 'delete_repo', 'Delete a repository', '{mcp,github:admin}', NULL, now())`,
      [tenant.id, serverId, LIST_ISSUES_HASH],
    );
    clientId = await register();
    resource = aggregatedMcpUrl(h.config.gatewayPublicUrl, 'demo');
  });

  afterAll(async () => {
    await h?.close();
  });

  it('logs in, shows consent, approves, and the code redeems for a token', async () => {
    const jar = new CookieJar();
    const { location, verifier } = await start(jar);
    const afterLogin = await follow(jar, await login(jar, location, 'alice@example.com', PASSWORD));
    expect(afterLogin.status).toBe(200);
    const consentHtml = await afterLogin.text();
    expect(consentHtml).toContain('Flow Test Client');
    expect(consentHtml).toContain('127.0.0.1:9');
    const confirm = formFor(consentHtml, '/confirm');
    const done = await follow(jar, await browse(jar, `${h.url}${confirm.action}`, { form: confirm.fields }));
    const callback = new URL(done.headers.get('location')!);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe('st-1');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = await fetch(`${h.url}/t/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource }),
    });
    const tokens = (await token.json()) as Record<string, unknown>;
    expect(token.status).toBe(200);
    expect(tokens['access_token']).toBeTruthy();
    // The consent records the tool versions the screen showed: the approved hash of each tool it unlocked.
    const { rows } = await h.db.pg.query<{ tool_versions: Record<string, string> }>('SELECT tool_versions FROM consents WHERE client_id = $1', [clientId]);
    expect(rows).toEqual([{ tool_versions: { 'github/list_issues': LIST_ISSUES_HASH } }]);
  });

  async function approveFlow(jar: CookieJar, email: string, options: { client?: string; scope?: string | null } = {}) {
    const { location, verifier } = await start(jar, options);
    const afterLogin = await follow(jar, await login(jar, location, email, PASSWORD));
    return { afterLogin, verifier };
  }

  it('sends every page with anti-framing, CSP and no-store headers, and a safe CSRF cookie', async () => {
    const jar = new CookieJar();
    const { location } = await start(jar);
    const page = await browse(jar, location);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('airlock-csrf='));
    // Plain http here: no __Host- prefix and no Secure (browsers would drop them); the rest holds.
    expect(csrfCookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax$/);
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<label for="email">/);
    expect(html).toMatch(/<label for="password">/);
  });

  it('answers a wrong password and an unknown account with the same 401 and message', async () => {
    const jar = new CookieJar();
    const { location } = await start(jar);
    const wrong = await login(jar, location, 'alice@example.com', 'not the password');
    const unknown = await login(jar, location, 'nobody@example.com', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await wrong.text(), await unknown.text()];
    expect(a).toContain('The email address or password is not correct.');
    expect(b).toContain('The email address or password is not correct.');
    expect(wrong.headers.get('x-frame-options')).toBe('DENY');
  });

  it('locks an account out after repeated failures, existing or not, without saying which', async () => {
    await h.createUser('demo', 'bob@example.com', PASSWORD);
    const jar = new CookieJar();
    const { location } = await start(jar);
    for (const email of ['bob@example.com', 'ghost@example.com']) {
      for (let i = 0; i < 5; i++) expect((await login(jar, location, email, 'wrong-password')).status).toBe(401);
      const locked = await login(jar, location, email, email === 'bob@example.com' ? PASSWORD : 'wrong-password');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await locked.text()).toContain('Too many sign-in attempts.');
    }
  });

  it('refuses a POST with a missing, wrong or foreign CSRF token (403) and changes nothing', async () => {
    const jar = new CookieJar();
    const { location } = await start(jar);
    const html = await (await browse(jar, location)).text();
    const form = formFor(html, '/login');
    const other = new CookieJar();
    const otherStart = await start(other);
    const otherForm = formFor(await (await browse(other, otherStart.location)).text(), '/login');

    const attempts: Array<Record<string, string>> = [
      { email: 'alice@example.com', password: PASSWORD },
      { email: 'alice@example.com', password: PASSWORD, csrf: 'forged' },
      { email: 'alice@example.com', password: PASSWORD, csrf: otherForm.fields['csrf']! },
    ];
    for (const fields of attempts) {
      const response = await browse(jar, `${h.url}${form.action}`, { form: fields });
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
    }
    // Right token, but without the browser's CSRF cookie (a cross-site form post from another jar).
    const stripped = new CookieJar();
    for (const [name, value] of jar.cookies) if (name !== 'airlock-csrf') stripped.cookies.set(name, value);
    expect((await browse(stripped, `${h.url}${form.action}`, { form: { ...form.fields, email: 'alice@example.com', password: PASSWORD } })).status).toBe(403);

    // Still at the login step: nobody got signed in.
    const again = await browse(jar, location);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('name="password"');
    // Abort and confirm are protected the same way.
    const abortAction = `${h.url}${formFor(html, '/abort').action}`;
    expect((await browse(jar, abortAction, { form: {} })).status).toBe(403);
    expect((await browse(jar, abortAction.replace(/\/abort$/, '/confirm'), { form: { csrf: 'x' } })).status).toBe(403);
  });

  it('gives the browser a new session identifier after login (session fixation)', async () => {
    const jar = new CookieJar();
    const fixationClient = await register('Fixation Client');
    const first = await approveFlow(jar, 'alice@example.com', { client: fixationClient });
    const confirm = formFor(await first.afterLogin.text(), '/confirm');
    await follow(jar, await browse(jar, `${h.url}${confirm.action}`, { form: confirm.fields }));
    const before = jar.cookies.get('airlock_session');
    expect(before).toBeTruthy();

    const { challenge } = pkce();
    const params = new URLSearchParams({ client_id: fixationClient, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', scope: 'mcp', resource, prompt: 'login' });
    const started = await browse(jar, `${h.url}/t/demo/auth?${params}`);
    const page = new URL(started.headers.get('location')!, h.url).href;
    await follow(jar, await login(jar, page, 'alice@example.com', PASSWORD));
    const after = jar.cookies.get('airlock_session');
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
  });

  it('sends access_denied to the registered redirect URI when the user denies', async () => {
    const jar = new CookieJar();
    const fresh = await register('Deny Me');
    const { afterLogin } = await approveFlow(jar, 'alice@example.com', { client: fresh });
    const deny = formFor(await afterLogin.text(), '/abort');
    const done = await follow(jar, await browse(jar, `${h.url}${deny.action}`, { form: deny.fields }));
    const callback = new URL(done.headers.get('location')!);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('st-1');
    expect(callback.searchParams.get('code')).toBeNull();
    const { rows } = await h.db.pg.query('SELECT 1 FROM consents WHERE client_id = $1', [fresh]);
    expect(rows).toHaveLength(0);
  });

  it('remembers an approval: a later authorization from a new browser skips the consent screen', async () => {
    const remembered = await register('Remember Me');
    const first = new CookieJar();
    const { afterLogin } = await approveFlow(first, 'alice@example.com', { client: remembered });
    const confirm = formFor(await afterLogin.text(), '/confirm');
    await follow(first, await browse(first, `${h.url}${confirm.action}`, { form: confirm.fields }));

    const second = new CookieJar();
    const again = await approveFlow(second, 'alice@example.com', { client: remembered });
    expect(again.afterLogin.status).toBe(303);
    const callback = new URL(again.afterLogin.headers.get('location')!);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const { rows } = await h.db.pg.query<{ scopes: string[]; resource: string }>('SELECT scopes, resource FROM consents WHERE client_id = $1 AND revoked_at IS NULL', [remembered]);
    expect(rows).toEqual([{ scopes: ['mcp'], resource }]);

    // Asking for more than was approved shows the screen again.
    const third = new CookieJar();
    const wider = await approveFlow(third, 'alice@example.com', { client: remembered, scope: 'mcp github:admin' });
    expect(wider.afterLogin.status).toBe(200);
    expect(await wider.afterLogin.text()).toContain('github:admin');
  });

  // Skipped until auth-core's defaultScopeMiddleware keeps req.originalUrl in step with the rewritten query:
  // oidc-provider derives its mount path from originalUrl minus url, so today the resume redirect after
  // login goes to `/auth/<uid>` without `/t/demo` (Nest answers 404). See the auth-ui report.
  it.skip('gives a request without scope the resource default scopes, and shows them', async () => {
    const noScope = await register('No Scope Client');
    const jar = new CookieJar();
    const { afterLogin, verifier } = await approveFlow(jar, 'alice@example.com', { client: noScope, scope: null });
    const html = await afterLogin.text();
    expect(html).toContain('<code>mcp</code>');
    const confirm = formFor(html, '/confirm');
    const done = await follow(jar, await browse(jar, `${h.url}${confirm.action}`, { form: confirm.fields }));
    const code = new URL(done.headers.get('location')!).searchParams.get('code');
    const token = await fetch(`${h.url}/t/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, client_id: noScope, code_verifier: verifier, resource }),
    });
    const tokens = (await token.json()) as { scope?: string };
    expect(token.status).toBe(200);
    expect(tokens.scope).toContain('mcp');
  });

  it('shows the client, a prominent redirect host, an unverified warning, the resource and the tools unlocked, all escaped', async () => {
    const evil = await register('<script>alert(1)</script> & Co');
    const jar = new CookieJar();
    const { afterLogin } = await approveFlow(jar, 'alice@example.com', { client: evil });
    const html = await afterLogin.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
    expect(html).toMatch(/<span class="host"[^>]*>127\.0\.0\.1:9<\/span>/);
    expect(html).toContain('is not verified by Demo');
    expect(html).toContain(`All MCP tools of Demo`);
    expect(html).toContain('github/list_issues');
    expect(html).not.toContain('delete_repo');
    expect(html).toContain('Connect to MCP servers on your behalf');
  });

  it('refuses an unknown or used interaction with a page, not a stack trace', async () => {
    const jar = new CookieJar();
    const response = await browse(jar, `${h.url}/t/demo/interaction/does-not-exist`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This sign-in request has expired');
    expect((await browse(jar, `${h.url}/t/no-such-tenant/interaction/x`)).status).toBe(404);
  });
});
