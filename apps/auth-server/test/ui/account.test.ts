import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedMcpUrl, revokedGrantKey } from '@airlock/contracts';
import { startAuthServerHarness, type AuthServerHarness } from '../support/auth-server-harness.js';
import { browse, CookieJar, formFor, pkce } from '../support/browser.js';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/callback';

describe('account page', () => {
  let h: AuthServerHarness;
  let resource: string;

  async function register(name: string): Promise<string> {
    const response = await fetch(`${h.url}/t/demo/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: name, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  async function follow(jar: CookieJar, response: Response): Promise<Response> {
    let current = response;
    for (let i = 0; i < 10 && current.status === 303; i++) {
      const location = new URL(current.headers.get('location')!, h.url).href;
      if (!location.startsWith(h.url)) return current;
      current = await browse(jar, location);
    }
    return current;
  }

  /** Full authorization with login and consent; returns the token response. */
  async function authorize(jar: CookieJar, clientId: string, email: string) {
    const { verifier, challenge } = pkce();
    const params = new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', scope: 'mcp', resource, state: 's' });
    let response = await follow(jar, await browse(jar, `${h.url}/t/demo/auth?${params}`));
    let html = await response.text();
    if (html.includes('name="password"')) {
      const login = formFor(html, '/login');
      response = await follow(jar, await browse(jar, `${h.url}${login.action}`, { form: { ...login.fields, email, password: PASSWORD } }));
      html = response.status === 200 ? await response.text() : '';
    }
    if (response.status === 200) {
      const confirm = formFor(html, '/confirm');
      response = await follow(jar, await browse(jar, `${h.url}${confirm.action}`, { form: confirm.fields }));
    }
    const code = new URL(response.headers.get('location')!).searchParams.get('code')!;
    const token = await fetch(`${h.url}/t/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource }),
    });
    expect(token.status).toBe(200);
    return (await token.json()) as { access_token: string; refresh_token?: string };
  }

  beforeAll(async () => {
    h = await startAuthServerHarness();
    resource = aggregatedMcpUrl(h.config.gatewayPublicUrl, 'demo');
    await h.createUser('demo', 'carol@example.com', PASSWORD);
    await h.createUser('demo', 'dave@example.com', PASSWORD);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('asks a stranger to sign in, with the page security headers', async () => {
    const response = await browse(new CookieJar(), `${h.url}/t/demo/account`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(formFor(html, '/account/login').fields).toHaveProperty('csrf');
  });

  it('lists what the signed-in user authorized and revokes it: tokens stop working and the grant is marked revoked', async () => {
    const jar = new CookieJar();
    const clientA = await register('Client Alpha');
    const clientB = await register('Client Beta');
    const tokensA = await authorize(jar, clientA, 'carol@example.com');
    await authorize(jar, clientB, 'carol@example.com');
    expect(tokensA.refresh_token).toBeTruthy();

    // The sign-in from the authorization is enough: the provider session identifies carol.
    const page = await browse(jar, `${h.url}/t/demo/account`);
    const html = await page.text();
    expect(html).toContain('carol@example.com');
    expect(html).toContain('Client Alpha');
    expect(html).toContain('Client Beta');
    expect(html).toContain('<code>127.0.0.1:9</code>');
    expect(html).toContain(resource);

    const { rows } = await h.db.pg.query<{ id: string; grantId: string }>(`SELECT id, grant_id AS "grantId" FROM consents WHERE client_id = $1`, [clientA]);
    const consent = rows[0]!;
    const revokeForm = formFor(html, '/account/revoke');
    const revoked = await browse(jar, `${h.url}${revokeForm.action}`, { form: { ...revokeForm.fields, consent: consent.id } });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/t/demo/account?revoked=1');

    const after = await (await browse(jar, `${h.url}/t/demo/account?revoked=1`)).text();
    expect(after).not.toContain('Client Alpha');
    expect(after).toContain('Client Beta');
    expect(after).toContain('Access revoked.');

    const refresh = await fetch(`${h.url}/t/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokensA.refresh_token!, client_id: clientA }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    const marked = await h.db.pg.query('SELECT revoked_at FROM consents WHERE id = $1 AND revoked_at IS NOT NULL', [consent.id]);
    expect(marked.rows).toHaveLength(1);
    expect(await h.hot.get(revokedGrantKey('demo', consent.grantId))).not.toBeNull();
  });

  it('refuses a revoke without a valid CSRF token (403) and revokes nothing', async () => {
    const jar = new CookieJar();
    const client = await register('Client Gamma');
    await authorize(jar, client, 'carol@example.com');
    const { rows } = await h.db.pg.query<{ id: string }>(`SELECT id FROM consents WHERE client_id = $1`, [client]);
    for (const csrf of [undefined, 'forged']) {
      const form: Record<string, string> = { consent: rows[0]!.id };
      if (csrf) form['csrf'] = csrf;
      expect((await browse(jar, `${h.url}/t/demo/account/revoke`, { form })).status).toBe(403);
    }
    const still = await h.db.pg.query('SELECT 1 FROM consents WHERE id = $1 AND revoked_at IS NULL', [rows[0]!.id]);
    expect(still.rows).toHaveLength(1);
  });

  it("cannot revoke another user's authorization", async () => {
    const carol = new CookieJar();
    const client = await register('Client Delta');
    await authorize(carol, client, 'carol@example.com');
    const { rows } = await h.db.pg.query<{ id: string }>(`SELECT id FROM consents WHERE client_id = $1`, [client]);

    const dave = new CookieJar();
    const signIn = formFor(await (await browse(dave, `${h.url}/t/demo/account`)).text(), '/account/login');
    const signedIn = await browse(dave, `${h.url}${signIn.action}`, { form: { ...signIn.fields, email: 'dave@example.com', password: PASSWORD } });
    expect(signedIn.status).toBe(303);
    const daveHtml = await (await browse(dave, `${h.url}/t/demo/account`)).text();
    expect(daveHtml).toContain('dave@example.com');
    expect(daveHtml).not.toContain('Client Delta');
    const csrf = formFor(daveHtml, '/account/logout').fields['csrf']!;
    const attempt = await browse(dave, `${h.url}/t/demo/account/revoke`, { form: { csrf, consent: rows[0]!.id } });
    expect(attempt.status).toBe(404);
    const still = await h.db.pg.query('SELECT 1 FROM consents WHERE id = $1 AND revoked_at IS NULL', [rows[0]!.id]);
    expect(still.rows).toHaveLength(1);
  });

  it('starts a fresh account session on every sign-in and ends it on sign-out', async () => {
    const jar = new CookieJar();
    const signIn = async () => {
      const form = formFor(await (await browse(jar, `${h.url}/t/demo/account`)).text(), '/account/login');
      await browse(jar, `${h.url}${form.action}`, { form: { ...form.fields, email: 'dave@example.com', password: PASSWORD } });
      return jar.cookies.get('airlock-account');
    };
    const first = await signIn();
    const page = await (await browse(jar, `${h.url}/t/demo/account`)).text();
    const logout = formFor(page, '/account/logout');
    expect((await browse(jar, `${h.url}${logout.action}`, { form: logout.fields })).status).toBe(303);
    expect(jar.cookies.get('airlock-account')).toBeUndefined();
    // The old id is dead even if someone kept it.
    const replay = new CookieJar();
    replay.cookies.set('airlock-account', first!);
    expect(await (await browse(replay, `${h.url}/t/demo/account`)).text()).toContain('Sign in to manage');
    const second = await signIn();
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
  });
});
