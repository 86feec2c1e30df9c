import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// A tenant's own page in a real browser against the real auth server: settings saved (and a bad value
// refused on its field), the registration policy switched to initial access tokens and one issued (shown
// once), keys rotated after a confirm dialog, the tenant deleted only once its slug is typed; the tenant
// switcher's "Recent" group; a tenant admin sees no deletion. The admin API confirms each change. Every
// screen: axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const KEEP = `keep-${suffix}`;
const DOOMED = `doomed-${suffix}`;

let server: ConsoleServer;
let browser: Browser;
let platformAdmin: AdminPerson;
let tenantAdmin: AdminPerson;
const cspViolations: string[] = [];

/** In-app navigation (a reload would forget the in-memory tokens). */
async function go(page: Page, path: string): Promise<void> {
  await page.evaluate(`history.pushState(null, '', ${JSON.stringify(`/console${path}`)}); dispatchEvent(new Event('airlock:navigate'))`);
}

beforeAll(async () => {
  server = await startConsoleServer();
  for (const slug of [KEEP, DOOMED]) expect((await server.call('POST', '/tenants', { slug, displayName: `Tenant ${slug}` })).status).toBe(201);
  [platformAdmin, tenantAdmin] = await Promise.all([createAdminPerson(server, 'tenants-admin', { role: 'platform-admin' }), createAdminPerson(server, 'tenants-ta', { role: 'tenant-admin', tenants: [KEEP] })]);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the tenant page and the tenant switcher', () => {
  it('a platform admin edits settings, issues an initial access token, rotates keys, and deletes a tenant by typing its slug', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${KEEP}`);
    await signInWithKeyboard(page, platformAdmin);
    await page.getByRole('heading', { name: `Tenant ${KEEP}` }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').allTextContents()).toEqual(['Settings']);
    await checkScreen(page, 'tenant-01-detail');

    // A lifetime out of range: the API's refusal under the field, tied to it; nothing changed.
    const ttl = page.getByLabel('Access-token lifetime (seconds)');
    await ttl.fill('5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/Too small|>=60/).first().waitFor();
    const described = await ttl.getAttribute('aria-describedby');
    expect(described).toBeTruthy();
    expect((await server.call('GET', `/tenants/${KEEP}`)).json['accessTokenTtl']).toBe(600);
    await checkScreen(page, 'tenant-02-field-error');
    await page.getByLabel('Display name').fill('Kept tenant');
    await ttl.fill('900');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await server.call('GET', `/tenants/${KEEP}`)).json).toMatchObject({ displayName: 'Kept tenant', accessTokenTtl: 900 });

    // Registration by initial access token; one token, shown once.
    await page.getByLabel('Dynamic client registration').selectOption('initial_access_token');
    await page.getByRole('button', { name: 'Issue an initial access token' }).click();
    const token = (await page.getByTestId('initial-access-token').textContent()) ?? '';
    expect(token.length).toBeGreaterThan(20);
    expect((await server.call('GET', `/tenants/${KEEP}`)).json['registrationPolicy']).toBe('initial_access_token');
    await checkScreen(page, 'tenant-03-initial-access-token');

    // Keys: rotate after confirming; the table shows what the API shows.
    const before = ((await server.call('GET', `/tenants/${KEEP}/keys`)).json['items'] as Array<{ kid: string; state: string }>).find((key) => key.state === 'active')!.kid;
    await page.getByRole('button', { name: 'Rotate keys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing keys?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const after = (await server.call('GET', `/tenants/${KEEP}/keys`)).json['items'] as Array<{ kid: string; state: string }>;
    expect(after.find((key) => key.state === 'active')!.kid).not.toBe(before);
    await expect.poll(async () => page.getByRole('table', { name: 'Signing keys' }).locator('tbody tr').count()).toBe(after.length);
    expect(await page.getByRole('table', { name: 'Signing keys' }).getByText(before).count()).toBe(1);

    // Deletion: the button stays disabled until the slug is typed exactly.
    await go(page, `/tenants/${DOOMED}`);
    await page.getByRole('heading', { name: `Tenant ${DOOMED}` }).waitFor();
    const confirm = page.getByLabel(`Type ${DOOMED} to confirm`);
    const remove = page.getByRole('button', { name: 'Delete tenant' });
    await confirm.fill(DOOMED.slice(0, -1));
    expect(await remove.isDisabled()).toBe(true);
    await confirm.fill(DOOMED);
    await checkScreen(page, 'tenant-04-delete');
    await remove.click();
    await page.waitForURL((url) => url.pathname === '/console/tenants');
    expect((await server.call('GET', `/tenants/${DOOMED}`)).status).toBe(404);
    expect((await server.call('GET', `/tenants/${KEEP}`)).status).toBe(200);

    // The switcher's recent list (localStorage): the tenants opened, newest first; the deleted one is forgotten.
    expect(JSON.parse(String(await page.evaluate(`localStorage.getItem('airlock.console.recentTenants')`)))).toEqual([KEEP]);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 90_000);

  it('a tenant admin changes settings of its tenant but has no deletion; another tenant is not found', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${KEEP}`);
    await signInWithKeyboard(page, tenantAdmin);
    await page.getByRole('heading', { name: `Tenant ${KEEP}` }).waitFor();
    await page.getByRole('button', { name: 'Save settings' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Delete this tenant' }).count()).toBe(0);
    await checkScreen(page, 'tenant-06-tenant-admin');
    await go(page, `/tenants/${DOOMED}`);
    await page.getByRole('alert').filter({ hasText: 'no such tenant' }).waitFor();
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 90_000);
});
