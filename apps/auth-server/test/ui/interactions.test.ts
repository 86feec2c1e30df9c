import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { browse, CookieJar, formFor, pkce, startUiHarness } from './ui-harness.js';
import type { UiHarness } from './ui-harness.js';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/callback';

describe('login and consent pages', () => {
  let h: UiHarness;
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
    h = await startUiHarness();
    await h.createUser('demo', 'alice@example.com', PASSWORD);
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
  });
});
