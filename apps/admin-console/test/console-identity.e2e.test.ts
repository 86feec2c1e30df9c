import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, tabTo, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The console's enterprise sign-in screens (issue 16) in a real browser against the real auth server: an
// OpenID Connect provider added with the keyboard (first caught by the API's zod schema in the browser,
// then refused by the API on its field with the request id), disabled and enabled, local passwords switched
// off and on, a group mapped to a scope; a SCIM token created (shown once, and it works at the SCIM
// endpoint) and revoked through the confirm dialog (then refused there); an auditor reads only. The admin
// API confirms each change. ID-JAG: an IdP trusted (an http issuer first refused in the browser), disabled,
// a client pre-approved. Every screen: axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `idp-${suffix}`;
const CLIENT_SECRET = `idp-s3cret-${suffix}`;

let server: ConsoleServer;
let browser: Browser;
let admin: AdminPerson;
let scimAdmin: AdminPerson;
let idJagAdmin: AdminPerson;
let auditor: AdminPerson;
const cspViolations: string[] = [];

/** A text field by its accessible name (Mantine's required asterisk is aria-hidden). */
const field = (page: Page, name: string) => page.getByRole('textbox', { name, exact: true });

/** The error text a field's aria-describedby points at (empty: none). */
async function describedError(page: Page, label: string): Promise<string> {
  const ids = ((await field(page, label).getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

/** Tab to the field labelled `label` and type `text` into it (keyboard only). */
async function typeInto(page: Page, label: string, text: string): Promise<void> {
  await tabTo(page, (focused) => focused.label.replace(/\s*\*$/, '') === label);
  await page.keyboard.press('Control+a');
  await page.keyboard.type(text);
}

beforeAll(async () => {
  server = await startConsoleServer();
  expect((await server.call('POST', '/tenants', { slug: TENANT, displayName: 'Identity tenant' })).status).toBe(201);
  // One person per test: a one-time code is refused a second time, and two sign-ins can fall in one 30 s step.
  admin = await createAdminPerson(server, 'idp-admin', { role: 'tenant-admin', tenants: [TENANT] });
  scimAdmin = await createAdminPerson(server, 'idp-scim', { role: 'tenant-admin', tenants: [TENANT] });
  idJagAdmin = await createAdminPerson(server, 'idp-idjag', { role: 'tenant-admin', tenants: [TENANT] });
  auditor = await createAdminPerson(server, 'idp-auditor', { role: 'auditor', tenants: [TENANT] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the identity providers and SCIM screens', () => {
  it('a tenant admin adds an OpenID Connect provider with the keyboard, disables it, switches passwords, maps a group', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/tenants/${TENANT}/identity-providers`)) posts.push(request.url());
    });
    await page.goto(`${server.url}/console/tenants/${TENANT}/identity-providers`);
    await signInWithKeyboard(page, admin);
    await page.getByRole('heading', { name: /Identity providers of/ }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').allTextContents()).toEqual(['Identity providers']);
    await page.getByTestId('empty-state').first().waitFor();
    await checkScreen(page, 'identity-01-empty');

    // The add form, keyboard only: an empty submit is caught by the API's own schema in the browser.
    await tabTo(page, (focused) => focused.tag === 'a' && focused.text === 'Add an identity provider');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Add an identity provider/ }).waitFor();
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Add identity provider');
    await page.keyboard.press('Enter');
    await expect.poll(() => describedError(page, 'Slug')).toContain('lowercase letters');
    expect(await field(page, 'Slug').getAttribute('aria-invalid')).toBe('true');
    expect(await describedError(page, 'Issuer')).toMatch(/Invalid URL|url/i);
    expect(posts).toEqual([]);
    await checkScreen(page, 'identity-02-add-form-errors');

    // The Entra preset with an issuer that is not a tenant's v2.0 issuer: the API refuses it on the Issuer field.
    await typeInto(page, 'Slug', 'corp');
    await typeInto(page, 'Display name', 'Corp SSO');
    await typeInto(page, 'Email domains', 'corp.example');
    await tabTo(page, (focused) => focused.label.startsWith('Preset'));
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByLabel('Preset').inputValue()).toBe('entra');
    await typeInto(page, 'Issuer', 'https://idp.corp.example');
    await typeInto(page, 'Client ID', 'airlock');
    await typeInto(page, 'Client secret', CLIENT_SECRET);
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Add identity provider');
    await page.keyboard.press('Enter');
    await expect.poll(() => describedError(page, 'Issuer')).toContain('entra: issuer must be');
    expect(await field(page, 'Issuer').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').filter({ hasText: 'entra: issuer must be' }).textContent()).toMatch(/invalid_request \(HTTP 400\) · request id \S+/);
    expect(posts).toHaveLength(1);
    await checkScreen(page, 'identity-03-add-refused');

    await page.getByLabel('Preset').selectOption('generic');
    await page.getByRole('button', { name: 'Add identity provider' }).click();
    await page.getByRole('heading', { name: 'Corp SSO' }).waitFor();
    expect(await page.getByTestId('callback-url').textContent()).toBe(`${server.url}/t/${TENANT}/federation/corp/callback`);
    const created = await server.call('GET', `/tenants/${TENANT}/identity-providers/corp`);
    expect(created.json).toMatchObject({ kind: 'oidc', preset: 'generic', hasClientSecret: true, enabled: true, emailDomains: ['corp.example'], config: { issuer: 'https://idp.corp.example', clientId: 'airlock' } });
    expect(JSON.stringify(created.json)).not.toContain(CLIENT_SECRET);
    expect(await page.content()).not.toContain(CLIENT_SECRET);
    await checkScreen(page, 'identity-04-detail');

    // Disable (keyboard), confirmed by the API; enable again.
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Disable');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('provider-status').textContent()).toBe('disabled');
    expect((await server.call('GET', `/tenants/${TENANT}/identity-providers/corp`)).json['enabled']).toBe(false);
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => page.getByTestId('provider-status').textContent()).toBe('enabled');

    // The list: the provider; local passwords off (an enabled provider exists) and on again.
    await page.getByRole('link', { name: 'Identity providers', exact: true }).click();
    await page.getByRole('table', { name: 'Identity providers' }).waitFor();
    await page.getByLabel('Allow local passwords').uncheck();
    await page.getByRole('status').filter({ hasText: 'local passwords are off' }).waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}`)).json['localPasswordsEnabled']).toBe(false);
    await checkScreen(page, 'identity-05-list-passwords-off');
    await page.getByLabel('Allow local passwords').check();
    await page.getByRole('status').filter({ hasText: 'local passwords are allowed' }).waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}`)).json['localPasswordsEnabled']).toBe(true);

    // A group mapping for this provider, keyboard only.
    await typeInto(page, 'Group', 'mcp-finance');
    await typeInto(page, 'Scopes', 'finance:read');
    await tabTo(page, (focused) => focused.label.startsWith('When asserted by'));
    await page.keyboard.press('ArrowDown');
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Add mapping');
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Group mappings' }).getByText('mcp-finance').waitFor();
    const mappings = (await server.call('GET', `/tenants/${TENANT}/group-mappings`)).json['items'] as Array<Record<string, unknown>>;
    expect(mappings).toMatchObject([{ groupName: 'mcp-finance', provider: 'corp', scopes: ['finance:read'] }]);
    await checkScreen(page, 'identity-06-group-mappings');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 120_000);

  it('a tenant admin creates a SCIM token (shown once, it works) and revokes it through the confirm dialog', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/scim`);
    await signInWithKeyboard(page, scimAdmin);
    await page.getByRole('heading', { name: /SCIM provisioning of/ }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').allTextContents()).toEqual(['SCIM']);
    await page.getByTestId('empty-state').waitFor();

    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Create a SCIM token');
    await page.keyboard.press('Enter');
    const token = ((await page.getByTestId('scim-token').textContent()) ?? '').trim();
    const baseUrl = ((await page.getByTestId('scim-base-url').textContent()) ?? '').trim();
    expect(token.length).toBeGreaterThan(20);
    expect(baseUrl).toBe(`${server.url}/scim/v2/t/${TENANT}`);
    await page.getByRole('table', { name: 'SCIM tokens' }).waitFor();
    const listed = (await server.call('GET', `/tenants/${TENANT}/scim-tokens`)).json['items'] as Array<{ id: string }>;
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(token);
    const scim = () => fetch(`${baseUrl}/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect((await scim()).status).toBe(200);
    await checkScreen(page, 'identity-07-scim-token');

    await tabTo(page, (focused) => focused.tag === 'button' && focused.label === `Revoke SCIM token ${listed[0]!.id}`);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Revoke this SCIM token?' });
    await dialog.waitFor();
    await checkScreen(page, 'identity-08-scim-revoke-confirm');
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('empty-state').waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}/scim-tokens`)).json['items']).toEqual([]);
    expect((await scim()).status).toBe(401);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 120_000);

  it('a tenant admin trusts an IdP for ID-JAGs, disables it, and pre-approves a client', async () => {
    const registered = await server.call('POST', `/tenants/${TENANT}/clients`, { client_name: 'Agent', grant_types: ['client_credentials'] });
    expect(registered.status).toBe(201);
    const clientId = String(registered.json['client_id']);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/id-jag`);
    await signInWithKeyboard(page, idJagAdmin);
    await page.getByRole('heading', { name: /ID-JAG and pre-approvals of/ }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').allTextContents()).toEqual(['ID-JAG']);

    // An http issuer off the loopback is refused by the API's own schema in the browser, on its field.
    await typeInto(page, 'Issuer', 'http://idp.corp.example');
    await typeInto(page, 'JWKS URL', 'https://idp.corp.example/jwks');
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Trust issuer');
    await page.keyboard.press('Enter');
    await expect.poll(() => describedError(page, 'Issuer')).toContain('https');
    await typeInto(page, 'Issuer', 'https://idp.corp.example');
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Trust issuer');
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Trusted issuers' }).getByText('https://idp.corp.example', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Disable https://idp.corp.example' }).click();
    await page.getByRole('button', { name: 'Enable https://idp.corp.example' }).waitFor();
    const issuers = (await server.call('GET', `/tenants/${TENANT}/trusted-issuers`)).json['items'] as Array<Record<string, unknown>>;
    expect(issuers).toMatchObject([{ issuer: 'https://idp.corp.example', jwksUri: 'https://idp.corp.example/jwks', enabled: false, allowedClientIds: [] }]);

    await typeInto(page, 'Client ID', clientId);
    await tabTo(page, (focused) => focused.label.replace(/\s*\*$/, '') === 'Scopes');
    await page.keyboard.type('mcp');
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Pre-approve');
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Pre-approved clients' }).getByText(clientId).waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}/pre-approvals`)).json['items']).toMatchObject([{ clientId, scopes: ['mcp'] }]);
    await checkScreen(page, 'identity-10-id-jag');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 120_000);

  it('an auditor reads the providers, mappings and tokens and changes nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/identity-providers`);
    await signInWithKeyboard(page, auditor);
    await page.getByRole('table', { name: 'Identity providers' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add an identity provider' }).count()).toBe(0);
    expect(await page.getByLabel('Allow local passwords').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Add mapping' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Corp SSO' }).click();
    await page.getByRole('heading', { name: 'Corp SSO' }).waitFor();
    expect(await page.getByRole('button', { name: 'Disable' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    await checkScreen(page, 'identity-09-auditor-detail');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 120_000);
});
