import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { AUTH_SERVER_CLIENT_ID } from '../src/login-sessions/session-store-tokens.js';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow, type RegisteredClient } from './support/oauth-flow.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';
import { browse, formFor } from './support/browser.js';

// Browser sign-ins are `login` sessions in the session store (issue 4): registered on sign-in, ended on
// sign-out, all ended (with the user's MCP sessions) by "Sign out everywhere", never blocking a login.

let h: AuthServerHarness;
let store: SessionStoreStandIn;
let client: RegisteredClient;
let userCount = 0;

async function newUser(): Promise<{ id: string; email: string; password: string; flow: OAuthFlow }> {
  userCount += 1;
  const email = `login-${userCount}@example.com`;
  const password = `password of user ${userCount}`;
  const id = await h.createUser('demo', email, password);
  return { id, email, password, flow: new OAuthFlow(h.url, 'demo', { email, password }) };
}

const settle = () => h.queues.drain(Queues.auth, 20_000);

/** Signs in on the account page itself; returns the browser. */
async function accountSignIn(user: { email: string; password: string }): Promise<CookieJar> {
  const jar = new CookieJar();
  const page = await browse(jar, `${h.url}/t/demo/account`);
  const form = formFor(await page.text(), '/login');
  const signedIn = await browse(jar, `${h.url}${form.action}`, { form: { ...form.fields, email: user.email, password: user.password } });
  expect(signedIn.status).toBe(303);
  return jar;
}

/** An authorization request from a browser that may already be signed in: true when it had to show the login page. */
async function asksToSignIn(flow: OAuthFlow, jar: CookieJar): Promise<boolean> {
  let response = await flow.authorizeRequest(jar, { client_id: client.clientId, redirect_uri: 'http://127.0.0.1:9/callback', response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', scope: 'mcp' });
  for (let i = 0; i < 5 && (response.status === 302 || response.status === 303); i++) {
    const location = new URL(response.headers.get('location')!, h.url);
    if (!location.href.startsWith(h.url)) return false;
    response = await browse(jar, location.href);
  }
  return (await response.text()).includes('name="password"');
}

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  h = await startAuthServerHarness({ SESSION_STORE_URL: store.url });
  store.useIssuer(h.url, h.hot);
  client = await new OAuthFlow(h.url, 'demo', { email: '', password: '' }).register();
});
afterAll(async () => {
  await h?.close();
  await store?.close();
});

describe('login sessions in the session store', () => {
  it('registers a sign-in during an authorization as a login session of the user and the client, with the auth server’s own token', async () => {
    const user = await newUser();
    await user.flow.code(new CookieJar(), client);
    await settle();
    const sessions = store.live('demo', user.id, 'login');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ kind: 'login', subject: user.id, clientId: client.clientId, idleTimeoutSeconds: 86_400 });
    expect(store.calls.find((call) => call.method === 'POST' && call.status === 200)?.clientId).toBe(AUTH_SERVER_CLIENT_ID);
  });

  it('ends the login session when the browser signs out (end_session)', async () => {
    const user = await newUser();
    const jar = new CookieJar();
    await user.flow.code(jar, client);
    await settle();
    expect(store.live('demo', user.id, 'login')).toHaveLength(1);
    const page = await browse(jar, `${h.url}/t/demo/session/end`);
    // Our page, with our headers (oidc-provider's default loads third-party fonts and sends none of them).
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const confirm = await page.text();
    expect(confirm).toMatch(/<h1>Sign out of [^<]+\?<\/h1>/);
    expect(confirm).not.toContain('googleapis');
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm)?.[1];
    expect(action && xsrf, confirm.slice(0, 500)).toBeTruthy();
    const loggedOut = await browse(jar, new URL(action!, h.url).href, { form: { xsrf: xsrf!, logout: 'yes' } });
    expect([302, 303]).toContain(loggedOut.status);
    const done = await browse(jar, new URL(loggedOut.headers.get('location')!, h.url).href);
    expect(await done.text()).toContain('You are signed out');
    await settle();
    expect(store.live('demo', user.id)).toEqual([]);
  });

  it('registers the account page’s own sign-in, and ends it on its Sign out', async () => {
    const user = await newUser();
    const jar = await accountSignIn(user);
    await settle();
    expect(store.live('demo', user.id, 'login')).toMatchObject([{ clientId: AUTH_SERVER_CLIENT_ID, idleTimeoutSeconds: 1800 }]);
    const page = await (await browse(jar, `${h.url}/t/demo/account`)).text();
    const signOut = formFor(page, '/logout');
    expect((await browse(jar, `${h.url}${signOut.action}`, { form: signOut.fields })).status).toBe(303);
    await settle();
    expect(store.live('demo', user.id)).toEqual([]);
  });

  it('“Sign out everywhere” ends every browser of the user and every session, login and MCP, leaving other users alone', async () => {
    const user = await newUser();
    const other = await newUser();
    const laptop = new CookieJar();
    await user.flow.code(laptop, client);
    const phone = await accountSignIn(user);
    const otherBrowser = new CookieJar();
    await other.flow.code(otherBrowser, client);
    // An MCP session the gateway opened for the user, through the session store's API with its own token.
    const gatewayToken = await postForm(
      `${h.url}/t/demo/token`,
      { grant_type: 'client_credentials' },
      { id: ServiceClients.gateway, secret: deriveServiceClientSecret(h.infra.masterKey, ServiceClients.gateway, 'demo') },
    );
    const mcp = await fetch(`${store.url}/v1/t/demo/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(gatewayToken.json['access_token'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'mcp', subject: user.id, clientId: client.clientId }),
    });
    expect(mcp.status).toBe(201);
    await settle();
    expect(store.live('demo', user.id)).toHaveLength(3);
    expect(await asksToSignIn(user.flow, laptop)).toBe(false);

    const page = await (await browse(phone, `${h.url}/t/demo/account`)).text();
    const everywhere = formFor(page, '/sign-out-everywhere');
    const done = await browse(phone, `${h.url}${everywhere.action}`, { form: everywhere.fields });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/t/demo/account?signedout=1');
    await settle();

    expect(store.live('demo', user.id)).toEqual([]);
    expect([...store.sessions.values()].filter((s) => s.subject === user.id).map((s) => s.endedReason)).toContain('user_signed_out_everywhere');
    // Both browsers must sign in again; the other user is still signed in with a live login session.
    expect(await asksToSignIn(user.flow, laptop)).toBe(true);
    const shown = await (await browse(phone, `${h.url}/t/demo/account?signedout=1`)).text();
    expect(shown).toContain('name="password"');
    expect(shown).toContain('signed out everywhere');
    expect(await asksToSignIn(other.flow, otherBrowser)).toBe(false);
    expect(store.live('demo', other.id, 'login')).toHaveLength(1);
  });

  it('signs in while the session store is down, and the login session lands once it is back', async () => {
    const user = await newUser();
    store.down = true;
    const before = store.calls.length;
    try {
      const { code } = await user.flow.code(new CookieJar(), client);
      expect(code).toBeTruthy();
      for (let i = 0; i < 500 && !store.calls.slice(before).some((call) => call.status === 503); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(store.calls.slice(before).some((call) => call.status === 503)).toBe(true);
    } finally {
      store.down = false;
    }
    // The retry comes after its backoff (a drain right now can race the job's move to the delayed set).
    for (let i = 0; i < 500 && store.live('demo', user.id, 'login').length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.live('demo', user.id, 'login')).toHaveLength(1);
  });

  it('ends a browser session whose login session the session store ended (revoked there by an admin)', async () => {
    const user = await newUser();
    const jar = new CookieJar();
    await user.flow.code(jar, client);
    await settle();
    const [session] = store.live('demo', user.id, 'login');
    Object.assign(session!, { state: 'revoked', endedReason: 'admin' });
    // The next use of the browser session checks in with the session store, which no longer knows it.
    expect(await asksToSignIn(user.flow, jar)).toBe(false);
    await settle();
    expect(await asksToSignIn(user.flow, jar)).toBe(true);
  });
});
