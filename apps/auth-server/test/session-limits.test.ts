import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '@airlock/contracts';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow, type RegisteredClient } from './support/oauth-flow.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';
import { browse, formFor } from './support/browser.js';

// The auth server's session limits come from its config (LOGIN_SESSION_*, ACCOUNT_SESSION_MAX_SECONDS),
// not from constants: what it asks the session store for, and what it tells the browser.

let h: AuthServerHarness;
let store: SessionStoreStandIn;
let client: RegisteredClient;
let users = 0;

async function newUser() {
  users += 1;
  const email = `limits-${users}@example.com`;
  const password = `password of limits user ${users}`;
  const id = await h.createUser('demo', email, password);
  return { id, email, password };
}

const lifetimeOf = (session: { createdAt: string; expiresAt: string }) => (Date.parse(session.expiresAt) - Date.parse(session.createdAt)) / 1000;

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  h = await startAuthServerHarness({ SESSION_STORE_URL: store.url, LOGIN_SESSION_IDLE_SECONDS: '3600', LOGIN_SESSION_MAX_SECONDS: '7200', ACCOUNT_SESSION_MAX_SECONDS: '900' });
  store.useIssuer(h.url, h.hot);
  client = await new OAuthFlow(h.url, 'demo', { email: '', password: '' }).register();
});
afterAll(async () => {
  await h?.close();
  await store?.close();
});

describe('session limits from config', () => {
  it('opens a browser sign-in with LOGIN_SESSION_IDLE_SECONDS and LOGIN_SESSION_MAX_SECONDS', async () => {
    const user = await newUser();
    await new OAuthFlow(h.url, 'demo', user).code(new CookieJar(), client);
    await h.queues.drain(Queues.auth, 20_000);
    const [session] = store.live('demo', user.id, 'login');
    expect(session).toMatchObject({ idleTimeoutSeconds: 3_600 });
    expect(lifetimeOf(session!)).toBe(7_200);
  });

  it('keeps an account-page sign-in ACCOUNT_SESSION_MAX_SECONDS, in its cookie and at the session store', async () => {
    const user = await newUser();
    const jar = new CookieJar();
    const form = formFor(await (await browse(jar, `${h.url}/t/demo/account`)).text(), '/login');
    const signedIn = await browse(jar, `${h.url}${form.action}`, { form: { ...form.fields, email: user.email, password: user.password } });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('set-cookie')).toMatch(/airlock-account=[^;]+;.*Max-Age=900/i);
    await h.queues.drain(Queues.auth, 20_000);
    const [session] = store.live('demo', user.id, 'login');
    expect(session).toMatchObject({ idleTimeoutSeconds: 900 });
    expect(lifetimeOf(session!)).toBe(900);
  });
});
