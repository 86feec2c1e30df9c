import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The Admins screen (platform admins only) in a real browser against the real auth server: a role granted
// to a new person (created with a password, TOTP enrollment shown once) and to an existing one, the list
// searched, a role revoked through the confirm dialog with a status message; the form's own refusal ("no
// password for a new person") and the API's (an unknown tenant) on their fields; a tenant admin has no
// Admins link and no Admins screen. Every screen: axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `adm-${suffix}`;

let server: ConsoleServer;
let browser: Browser;
let platform: AdminPerson;
let tenantAdmin: AdminPerson;
const contexts: BrowserContext[] = [];
const cspViolations: string[] = [];

type Json = Record<string, unknown>;

async function signedInPage(person: AdminPerson, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await openPage(context, cspViolations);
  await page.goto(`${server.url}/console${path}`);
  await signInWithKeyboard(page, person);
  return page;
}

async function assignments(q: string): Promise<Json[]> {
  return (await server.call('GET', `/role-assignments?q=${encodeURIComponent(q)}`)).json['items'] as Json[];
}

beforeAll(async () => {
  server = await startConsoleServer();
  expect((await server.call('POST', '/tenants', { slug: TENANT, displayName: 'Admins test', registrationPolicy: 'open' })).status).toBe(201);
  [platform, tenantAdmin] = await Promise.all([createAdminPerson(server, 'admins-platform', { role: 'platform-admin' }), createAdminPerson(server, 'admins-tenant', { role: 'tenant-admin', tenants: [TENANT] })]);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
});

describe('the Admins screen', () => {
  it('grants a role to a new and to an existing person, searches, and revokes through the confirm dialog', async () => {
    const page = await signedInPage(platform, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admins' }).click();
    await page.waitForURL(`${server.url}/console/admins`);
    const table = page.getByRole('table', { name: 'Role assignments' });
    await table.getByRole('cell', { name: platform.email, exact: true }).waitFor();
    await table.getByRole('cell', { name: tenantAdmin.email, exact: true }).waitFor();
    await checkScreen(page, 'admins-01-list');

    // A new person without a password: the form says so on the password field, and nothing is created.
    const newEmail = `new-admin-${suffix}@example.com`;
    const form = page.getByRole('form', { name: 'Grant an admin role' });
    await form.getByRole('textbox', { name: 'Email' }).fill(newEmail);
    await form.getByRole('textbox', { name: 'Tenants' }).fill(TENANT);
    await form.getByRole('button', { name: 'Grant role' }).click();
    const password = form.getByLabel('Password for a new person');
    await expect.poll(() => password.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await password.getAttribute('aria-describedby')) ?? '';
    const described = await Promise.all(describedBy.split(' ').filter(Boolean).map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(described.join(' ')).toContain('no password for a new person');
    await checkScreen(page, 'admins-02-no-password');
    expect(((await server.call('GET', `/admin-users?q=${encodeURIComponent(newEmail)}`)).json['items'] as Json[]).length).toBe(0);

    // An unknown tenant: the API's refusal lands on the Tenants field.
    await password.fill(`pw-${randomBytes(8).toString('hex')}`);
    await form.getByRole('textbox', { name: 'Tenants' }).fill(`nope-${suffix}`);
    await form.getByRole('button', { name: 'Grant role' }).click();
    await expect.poll(() => form.getByRole('textbox', { name: 'Tenants' }).getAttribute('aria-invalid')).toBe('true');

    // Fixed: the person exists now (the first try created them); the role is granted to them.
    await form.getByRole('textbox', { name: 'Tenants' }).fill(TENANT);
    await form.getByRole('button', { name: 'Grant role' }).click();
    await form.getByRole('status').filter({ hasText: `${newEmail} now holds the tenant-admin role.` }).waitFor();
    await table.getByRole('cell', { name: newEmail, exact: true }).waitFor();
    expect(await assignments(newEmail)).toMatchObject([{ principalType: 'users', email: newEmail, role: 'tenant-admin', tenants: [TENANT] }]);

    // A brand-new person in one go: created, enrolled (the otpauth URI shown once), granted.
    const freshEmail = `fresh-admin-${suffix}@example.com`;
    await form.getByRole('textbox', { name: 'Email' }).fill(freshEmail);
    await password.fill(`pw-${randomBytes(8).toString('hex')}`);
    await form.getByRole('combobox', { name: 'Role' }).selectOption('auditor');
    await form.getByRole('textbox', { name: 'Tenants' }).fill('all');
    await form.getByRole('button', { name: 'Grant role' }).click();
    await form.getByRole('status').filter({ hasText: `${freshEmail} now holds the auditor role.` }).waitFor();
    expect(await page.getByTestId('otpauth-uri').textContent()).toMatch(/^otpauth:\/\/totp\//);
    expect(await password.inputValue()).toBe('');
    await checkScreen(page, 'admins-03-granted-new-person');
    expect(await assignments(freshEmail)).toMatchObject([{ email: freshEmail, role: 'auditor', tenants: 'all' }]);

    // The existing person again, another role: found by email, no password asked.
    await form.getByRole('textbox', { name: 'Email' }).fill(newEmail.toUpperCase());
    await form.getByRole('combobox', { name: 'Role' }).selectOption('auditor');
    await form.getByRole('textbox', { name: 'Tenants' }).fill(TENANT);
    await form.getByRole('button', { name: 'Grant role' }).click();
    await form.getByRole('status').filter({ hasText: `${newEmail} now holds the auditor role.` }).waitFor();
    expect(await page.getByTestId('otpauth-uri').count()).toBe(0);
    expect(await assignments(newEmail)).toMatchObject([{ role: 'auditor', tenants: [TENANT] }]);

    // Search: the URL keeps it; one row.
    await page.getByRole('textbox', { name: 'Search admins' }).fill('fresh-admin');
    await page.waitForURL((url) => url.searchParams.get('q') === 'fresh-admin');
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    await table.getByRole('cell', { name: freshEmail, exact: true }).waitFor();
    await checkScreen(page, 'admins-04-search');
    await page.getByRole('textbox', { name: 'Search admins' }).fill('');

    // Revoke: the dialog opens on Cancel; Escape changes nothing; confirming revokes and says so.
    await page.getByRole('button', { name: `Revoke the role of ${newEmail}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this admin role?' });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Cancel');
    await checkScreen(page, 'admins-05-revoke-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await assignments(newEmail)).toHaveLength(1);
    await page.getByRole('button', { name: `Revoke the role of ${newEmail}` }).click();
    await dialog.getByRole('button', { name: 'Revoke role' }).click();
    await page.getByRole('status').filter({ hasText: `The auditor role of ${newEmail} was revoked` }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
    await table.getByRole('cell', { name: newEmail, exact: true }).waitFor({ state: 'detached' });
    expect(await assignments(newEmail)).toEqual([]);
    await checkScreen(page, 'admins-06-revoked');
    expect(cspViolations).toEqual([]);
  }, 120_000);

  it('is not there for a tenant admin: no link, and the page says platform admins only', async () => {
    const page = await signedInPage(tenantAdmin, '/tenants');
    await page.getByRole('table', { name: 'Tenants' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admins' }).count()).toBe(0);
    await page.evaluate(`history.pushState(null, '', '/console/admins'); dispatchEvent(new Event('airlock:navigate'))`);
    await page.getByText('Only platform admins see and change who holds an admin role.').waitFor();
    expect(await page.getByRole('table', { name: 'Role assignments' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Grant an admin role' }).count()).toBe(0);
    await checkScreen(page, 'admins-07-tenant-admin');
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
