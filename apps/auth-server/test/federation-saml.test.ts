import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import { Queues, type AuditEvent } from '@airlock/contracts';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { browse, CookieJar, formFor, pkce } from './support/browser.js';
import { OAuthFlow, REDIRECT, type RegisteredClient } from './support/oauth-flow.js';
import { SamlTestIdp, type ResponseOptions } from './support/saml-test-idp.js';

// SAML 2.0 sign-in end to end: a test IdP on its own HTTP server (on `localhost`, another site than the
// auth server on 127.0.0.1) signs assertions with xml-crypto; Debian's chromium runs the real
// HTTP-Redirect → auto-submitted HTTP-POST → consent → code flow; the refusals are driven form by form
// with a scripted browser: each must end on a page with a reference, create no user or link, and leave
// an audit event with its reason.

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

let server: AuthServerHarness;
let idp: SamlTestIdp;
let browser: Browser;
let client: RegisteredClient;
let tenantId: string;
let corpId: string;
const audit: AuditEvent[] = [];

const flow = () => new OAuthFlow(server.url, 'demo', { email: 'unused@example.com', password: 'unused-password' });
const samlBase = (slug: string) => `${server.url}/t/demo/federation/${slug}/saml`;

async function addSamlProvider(slug: string, config: Record<string, unknown> = {}): Promise<string> {
  const { rows } = await server.infra.pg.query<{ id: string }>(
    `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, config, updated_at)
     VALUES (gen_random_uuid(), $1, $2, 'saml', $2, $3, now()) RETURNING id`,
    [tenantId, slug, JSON.stringify({ idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, signingCertificates: [idp.certificate], emailVerified: true, ...config })],
  );
  return rows[0]!.id;
}

async function links(subject: string): Promise<Array<{ user_id: string; issuer: string; groups: string[] }>> {
  const { rows } = await server.infra.pg.query<{ user_id: string; issuer: string; groups: string[] }>(
    'SELECT user_id, issuer, groups FROM federated_identities WHERE tenant_id = $1 AND subject = $2',
    [tenantId, subject],
  );
  return rows;
}

/** An authorization request up to the login page; returns the interaction uid and the login page. */
async function loginInteraction(jar: CookieJar): Promise<{ uid: string; verifier: string; html: string }> {
  const { verifier, challenge } = pkce();
  const response = await flow().authorizeRequest(jar, {
    client_id: client.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-1',
    scope: 'openid mcp',
  });
  expect(response.status).toBe(303);
  const location = response.headers.get('location')!;
  const html = await (await browse(jar, new URL(location, server.url).href)).text();
  return { uid: /\/interaction\/([^/?]+)/.exec(location)![1]!, verifier, html };
}

/** The login page's button for a provider: a CSRF-checked POST inside the interaction's cookie path. */
async function pressProviderButton(jar: CookieJar, html: string, slug: string): Promise<Response> {
  const button = formFor(html, `/federation/${slug}`);
  return browse(jar, `${server.url}${button.action}`, { form: button.fields });
}

/** The scripted browser from the login page through the IdP: the auto-submitting form the IdP answered with. */
async function toIdpForm(jar: CookieJar, slug = 'corp'): Promise<{ action: string; SAMLResponse: string; RelayState: string; uid: string; verifier: string }> {
  const { uid, verifier, html } = await loginInteraction(jar);
  const start = await pressProviderButton(jar, html, slug);
  expect(start.status).toBe(303);
  const ssoUrl = new URL(start.headers.get('location')!);
  expect(ssoUrl.origin).toBe(idp.url);
  expect(ssoUrl.searchParams.get('SAMLRequest')).toBeTruthy();
  const page = await (await fetch(ssoUrl)).text();
  const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
  const SAMLResponse = /name="SAMLResponse" value="([^"]+)"/.exec(page)![1]!;
  const RelayState = /name="RelayState" value="([^"]*)"/.exec(page)![1]!;
  return { action, SAMLResponse, RelayState, uid, verifier };
}

/** The IdP's POST to the ACS as a browser sends it cross-site: no cookies of the auth server's site. */
async function postToAcs(action: string, form: Record<string, string>): Promise<Response> {
  return fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), redirect: 'manual' });
}

/** A refused response: status, a page with the request id and no stack, and the audit event's reason. */
async function expectRefused(response: Response, status: number, reason: string): Promise<void> {
  const html = await response.text();
  expect(response.status, html.slice(0, 400)).toBe(status);
  const requestId = response.headers.get('x-request-id')!;
  expect(html).toContain(`Reference: ${requestId}`);
  expect(html).not.toMatch(/at .*\.(js|ts):\d+|Error:/);
  await server.queues.drain(Queues.audit);
  const event = audit.find((e) => e.details['requestId'] === requestId);
  expect(event, `audit event for ${reason}`).toMatchObject({ action: 'federation.sign_in', outcome: 'failure', target: expect.any(String), details: { protocol: 'saml', reason } });
}

beforeAll(async () => {
  idp = await SamlTestIdp.start();
  server = await startAuthServerHarness();
  server.queues.work<AuditEvent>(Queues.audit, async (job) => void audit.push(job.data));
  tenantId = (await server.tenant('demo')).id;
  corpId = await addSamlProvider('corp');
  client = await flow().register();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await idp?.close();
});

describe('SAML service provider metadata', () => {
  it('publishes an EntityDescriptor per tenant and provider: entity id, HTTP-POST ACS, signed assertions wanted', async () => {
    const response = await fetch(`${samlBase('corp')}/metadata`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = await response.text();
    expect(xml).toContain(`entityID="${samlBase('corp')}/metadata"`);
    expect(xml).toContain('WantAssertionsSigned="true"');
    expect(xml).toMatch(new RegExp(`AssertionConsumerService[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="${samlBase('corp')}/acs"`));
    expect((await fetch(`${samlBase('nope')}/metadata`)).status).toBe(404);
  });
});

describe('SAML sign-in in a real browser', () => {
  it('signs in through the IdP (redirect, auto-submitted POST, consent), provisions the user just in time and links by issuer + NameID', async () => {
    idp.reset();
    idp.user = { nameId: 'persistent-ada', email: 'ada@corp.example', name: 'Ada Lovelace', groups: ['mcp-users', 'staff'] };
    const context = await browser.newContext();
    const page = await context.newPage();
    let callback: URL | undefined;
    await page.route(`${REDIRECT}**`, async (route) => {
      callback = new URL(route.request().url());
      await route.fulfill({ status: 200, body: 'client callback' });
    });
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({ client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 'browser-1', scope: 'openid mcp' });
    await page.goto(`${server.url}/t/demo/auth?${query}`);
    // The login page's provider button.
    await page.click('form[action$="/federation/corp"] button[type=submit]');
    // The IdP's page submits itself to the ACS; the browser ends on the consent page.
    await page.waitForSelector('form[action$="/confirm"] button[type=submit]');
    expect(idp.lastRequest?.issuer).toBe(`${samlBase('corp')}/metadata`);
    expect(idp.lastRequest?.acsUrl).toBe(`${samlBase('corp')}/acs`);
    await page.click('form[action$="/confirm"] button[type=submit]');
    await expect.poll(() => callback, { timeout: 15_000 }).toBeDefined();
    await context.close();

    expect(callback!.searchParams.get('state')).toBe('browser-1');
    const { status, json } = await flow().redeem(client, callback!.searchParams.get('code')!, verifier);
    expect(status, JSON.stringify(json)).toBe(200);
    const [link] = await links('persistent-ada');
    expect(link).toMatchObject({ issuer: idp.entityId, groups: ['mcp-users', 'staff'] });
    expect(decodeJwt(String(json['id_token'])).sub).toBe(link!.user_id);
    const { rows } = await server.infra.pg.query('SELECT email, display_name FROM users WHERE id = $1', [link!.user_id]);
    expect(rows[0]).toEqual({ email: 'ada@corp.example', display_name: 'Ada Lovelace' });
  }, 60_000);

  it('signs the same NameID in as the same user at the next sign-in, with the groups asserted now, even when the email changed', async () => {
    idp.reset();
    idp.user = { nameId: 'persistent-ada', email: 'ada.l@corp.example', groups: ['staff'] };
    const [before] = await links('persistent-ada');
    const jar = new CookieJar();
    const form = await toIdpForm(jar);
    const acs = await postToAcs(form.action, { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    expect(acs.status).toBe(303);
    const callback = await flow().follow(jar, acs.headers.get('location')!);
    const { json } = await flow().redeem(client, callback.searchParams.get('code')!, form.verifier);
    expect(decodeJwt(String(json['id_token'])).sub).toBe(before!.user_id);
    expect(await links('persistent-ada')).toEqual([expect.objectContaining({ user_id: before!.user_id, groups: ['staff'] })]);
  });
});

describe('SAML refusals', () => {
  async function refusedWith(tweak: Partial<ResponseOptions>, status: number, reason: string, subject = `refused-${reason}`): Promise<void> {
    idp.reset();
    idp.user = { nameId: subject, email: `${subject}@corp.example` };
    idp.tweak = tweak;
    const form = await toIdpForm(new CookieJar());
    await expectRefused(await postToAcs(form.action, { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState }), status, reason);
    expect(await links(subject)).toEqual([]);
  }

  it('refuses an unsigned assertion, one signed by an untrusted key, and an unsigned assertion inside a signed response', async () => {
    await refusedWith({ sign: 'none' }, 400, 'unsigned_or_bad_signature', 'unsigned');
    await refusedWith({ sign: 'wrong-key' }, 400, 'unsigned_or_bad_signature', 'wrong-key');
    await refusedWith({ sign: 'response-only' }, 400, 'unsigned_or_bad_signature', 'response-only');
  });

  it('refuses signature wrapping: a forged unsigned assertion next to a genuinely signed one', async () => {
    await refusedWith({ wrapWithSubject: 'forged-admin' }, 400, 'unsigned_or_bad_signature', 'wrapped-genuine');
    expect(await links('forged-admin')).toEqual([]);
  });

  it('refuses a wrong audience, recipient, destination or issuer', async () => {
    await refusedWith({ audience: 'https://other-sp.example/metadata' }, 400, 'wrong_audience');
    await refusedWith({ recipient: 'https://other-sp.example/acs' }, 400, 'wrong_recipient');
    await refusedWith({ destination: 'https://other-sp.example/acs' }, 400, 'wrong_destination');
    // Signed by the trusted key, but in another entity's name.
    await refusedWith({ issuer: 'https://impostor.example/metadata' }, 400, 'wrong_issuer');
  });

  it('refuses an expired assertion (past NotOnOrAfter beyond the 60 s skew) and a response to another request', async () => {
    await refusedWith({ validForMs: -2 * 60 * 1000 }, 400, 'expired_or_not_yet_valid');
    await refusedWith({ inResponseTo: '_not-our-request' }, 400, 'in_response_to_mismatch');
  });

  it('shows the IdP refusing the person (a non-success status) as a refusal, not as an error', async () => {
    await refusedWith({ failStatus: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }, 400, 'idp_error_status');
  });

  it('refuses a response meant for another tenant: the audience is that tenant\'s SP', async () => {
    await server.createTenant('other');
    const otherTenantId = (await server.tenant('other')).id;
    await server.infra.pg.query(
      `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, config, updated_at)
       VALUES (gen_random_uuid(), $1, 'corp', 'saml', 'corp', $2, now())`,
      [otherTenantId, JSON.stringify({ idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, signingCertificates: [idp.certificate], allowIdpInitiated: true, idpInitiatedRedirect: 'https://app.example.com/' })],
    );
    const otherAcs = `${server.url}/t/other/federation/corp/saml/acs`;
    // Signed for demo's SP, posted to other's ACS (Destination and Recipient made to match, as an attacker would).
    const forDemo = idp.response({ user: { nameId: 'cross-tenant' }, acsUrl: otherAcs, audience: `${samlBase('corp')}/metadata` });
    const response = await postToAcs(otherAcs, { SAMLResponse: forDemo });
    expect(response.status).toBe(400);
    expect(await links('cross-tenant')).toEqual([]);
    const { rows } = await server.infra.pg.query('SELECT count(*)::int AS n FROM federated_identities WHERE subject = $1', ['cross-tenant']);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('refuses a replayed response: the RelayState is single use, and an assertion ID is accepted once', async () => {
    idp.reset();
    idp.user = { nameId: 'replay-1' };
    const jar = new CookieJar();
    const first = await toIdpForm(jar);
    const accepted = await postToAcs(first.action, { SAMLResponse: first.SAMLResponse, RelayState: first.RelayState });
    expect(accepted.status).toBe(303);
    await expectRefused(await postToAcs(first.action, { SAMLResponse: first.SAMLResponse, RelayState: first.RelayState }), 400, 'unknown_relay_state');

    // A fresh request answered with the assertion ID already seen (as a replaying attacker would need to).
    const assertionId = /<saml:Assertion [^>]*ID="([^"]+)"/.exec(Buffer.from(first.SAMLResponse, 'base64').toString())![1]!;
    idp.tweak = { assertionId };
    const second = await toIdpForm(new CookieJar());
    await expectRefused(await postToAcs(second.action, { SAMLResponse: second.SAMLResponse, RelayState: second.RelayState }), 400, 'replayed_assertion');
  });

  it('refuses unsolicited (IdP-initiated) responses unless the provider allows them; then signs in once and sends the browser on', async () => {
    const acs = `${samlBase('corp')}/acs`;
    const unsolicited = idp.response({ user: { nameId: 'unsolicited-1' }, acsUrl: acs, audience: `${samlBase('corp')}/metadata` });
    await expectRefused(await postToAcs(acs, { SAMLResponse: unsolicited, RelayState: '' }), 400, 'unsolicited_response');
    expect(await links('unsolicited-1')).toEqual([]);

    await addSamlProvider('portal', { allowIdpInitiated: true, idpInitiatedRedirect: 'https://app.example.com/start' });
    const portalAcs = `${samlBase('portal')}/acs`;
    const allowed = idp.response({ user: { nameId: 'unsolicited-2', groups: ['staff'] }, acsUrl: portalAcs, audience: `${samlBase('portal')}/metadata` });
    const response = await postToAcs(portalAcs, { SAMLResponse: allowed, RelayState: 'https://evil.example/' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://app.example.com/start');
    expect(await links('unsolicited-2')).toEqual([expect.objectContaining({ groups: ['staff'] })]);
    await expectRefused(await postToAcs(portalAcs, { SAMLResponse: allowed, RelayState: '' }), 400, 'replayed_assertion');
  });

  it('does not link an email that a local user already has: the sign-in is refused and nothing is created', async () => {
    const localId = await server.createUser('demo', 'grace@corp.example', 'correct horse battery staple');
    idp.reset();
    idp.user = { nameId: 'grace-at-idp', email: 'Grace@corp.example' };
    const jar = new CookieJar();
    const form = await toIdpForm(jar);
    const acs = await postToAcs(form.action, { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    expect(acs.status).toBe(303);
    const finish = await browse(jar, acs.headers.get('location')!);
    expect(finish.status).toBe(403);
    expect(await finish.text()).toContain('already has an account');
    expect(await links('grace-at-idp')).toEqual([]);
    const { rows } = await server.infra.pg.query('SELECT id FROM users WHERE tenant_id = $1 AND email = $2', [tenantId, 'grace@corp.example']);
    expect(rows).toEqual([{ id: localId }]);
  });

  it('finishes only in the browser that started the sign-in (the ACS answer replayed elsewhere is refused)', async () => {
    idp.reset();
    idp.user = { nameId: 'bound-1' };
    const form = await toIdpForm(new CookieJar());
    const acs = await postToAcs(form.action, { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    expect(acs.status).toBe(303);
    await expectRefused(await browse(new CookieJar(), acs.headers.get('location')!), 400, 'browser_mismatch');
    expect(await links('bound-1')).toEqual([]);
  });

  it('starts only in the browser that holds the login request: no start by GET, a stranger\'s press refused', async () => {
    // The attacker's own authorization request, waiting for a login in the attacker's browser.
    const attacker = new CookieJar();
    const { uid, html } = await loginInteraction(attacker);
    // A link that once started a sign-in for any waiting request, in whichever browser followed it: gone.
    const byGet = await browse(new CookieJar(), `${samlBase('corp')}/login?interaction=${uid}`);
    expect(byGet.status).toBe(404);
    expect(byGet.headers.get('location')).toBeNull();
    // The victim's browser submitting the attacker's button (a cross-site form): no interaction cookie, no start.
    const victim = new CookieJar();
    const pressed = await pressProviderButton(victim, html, 'corp');
    expect(pressed.status).toBe(403);
    expect(pressed.headers.get('location')).toBeNull();
  });

  it('lets no other browser claim the identity a response carried (an AuthnRequest handed to a victim)', async () => {
    idp.reset();
    idp.user = { nameId: 'victim-1', email: 'victim@corp.example' };
    // The attacker starts in their own browser (holding the state cookie) and hands the IdP URL to the victim,
    // whose browser, signed in at the IdP, posts the victim's assertion to the ACS.
    const attacker = new CookieJar();
    const form = await toIdpForm(attacker);
    const acs = await postToAcs(form.action, { SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    expect(acs.status).toBe(303);
    const finishUrl = new URL(acs.headers.get('location')!);
    // The attacker knows the RelayState and holds its cookie, but not the ticket the victim's browser got.
    const byState = new URL(finishUrl);
    byState.search = `?state=${encodeURIComponent(form.RelayState)}`;
    await expectRefused(await browse(attacker, byState.href), 400, 'interaction_expired');
    const byRelayStateAsTicket = new URL(finishUrl);
    byRelayStateAsTicket.search = `?ticket=${encodeURIComponent(form.RelayState)}`;
    await expectRefused(await browse(attacker, byRelayStateAsTicket.href), 400, 'interaction_expired');
    // The victim's browser has the ticket but not the state cookie: refused, and the ticket is spent.
    await expectRefused(await browse(new CookieJar(), finishUrl.href), 400, 'browser_mismatch');
    await expectRefused(await browse(attacker, finishUrl.href), 400, 'interaction_expired');
    expect(await links('victim-1')).toEqual([]);
  });

  it('refuses a disabled provider and a malformed response', async () => {
    const jar = new CookieJar();
    const { html } = await loginInteraction(jar);
    await server.infra.pg.query("UPDATE identity_providers SET enabled = false WHERE id = $1", [corpId]);
    try {
      // The button of a page shown before the provider was switched off.
      expect((await pressProviderButton(jar, html, 'corp')).status).toBe(404);
    } finally {
      await server.infra.pg.query('UPDATE identity_providers SET enabled = true WHERE id = $1', [corpId]);
    }
    await expectRefused(await postToAcs(`${samlBase('corp')}/acs`, { SAMLResponse: Buffer.from('<not-saml/>').toString('base64') }), 400, 'malformed_response');
    await expectRefused(await postToAcs(`${samlBase('corp')}/acs`, { SAMLResponse: '' }), 400, 'malformed_response');
  });
});
