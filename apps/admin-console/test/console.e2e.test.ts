import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, tabTo, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The admin console end to end in a real browser (Debian's chromium, playwright-core) against the real auth
// server serving the built console: sign-in through the real login page with the keyboard, a tenant created
// through the form, searched, its sessions and audit log; a tenant admin sees its tenant only. Every screen
// is scanned with axe-core (serious/critical fail) and saved as a screenshot (apps/admin-console/screenshots).

const suffix = randomBytes(3).toString('hex');
const NEW_TENANT = `console-${suffix}`;
const OTHER_TENANT = `other-${suffix}`;

let server: ConsoleServer;
let browser: Browser;
let platformAdmin: AdminPerson;
const cspViolations: string[] = [];



beforeAll(async () => {
  server = await startConsoleServer();
  platformAdmin = await createAdminPerson(server, 'platform', { role: 'platform-admin' });
  expect((await server.call('POST', '/tenants', { slug: OTHER_TENANT, displayName: 'Another tenant' })).status).toBe(201);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the admin console', () => {
  it('is served under /console with a strict CSP, its client routes answered with index.html', async () => {
    for (const path of ['/console/', '/console/tenants/acme/audit?outcome=failure']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      const html = await response.text();
      expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js"><\/script>/);
      expect(html).not.toMatch(/<script>|<script type="module">[^<]/);
    }
    const settings = (await (await fetch(`${server.url}/console/config.json`)).json()) as Record<string, string>;
    expect(settings).toMatchObject({ clientId: 'airlock-console', redirectUri: `${server.url}/console/callback`, resource: `${server.url}/admin/v1`, scope: 'admin' });
    expect((await fetch(`${server.url}/console/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/console/..%2f..%2fpackage.json`)).headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('a platform admin signs in with the keyboard, creates a tenant, finds it, opens its sessions (revokes a live one) and audit log, signs out', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openPage(context, cspViolations);
    const revocations: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/token/revocation')) revocations.push(response.status());
    });

    await page.clock.install();
    await page.goto(`${server.url}/console/tenants`);
    await page.getByRole('heading', { name: 'Airlock admin console' }).waitFor();
    await checkScreen(page, '01-sign-in');
    await signInWithKeyboard(page, platformAdmin, '02');
    await expect.poll(() => page.getByTestId('role').textContent()).toBe('platform-admin');
    // Tokens are in memory only.
    expect(await page.evaluate('JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage)])')).toBe('[[],[]]');

    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByRole('table', { name: 'Tenants' }).waitFor();
    await checkScreen(page, '03-tenants');

    // Create a tenant, keyboard only: first a slug the API refuses (its error_description lands on the field).
    await tabTo(page, (focused) => focused.label.startsWith('Slug'));
    await page.keyboard.type('Not A Slug');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Console tenant');
    await page.keyboard.press('Enter');
    const slugField = page.getByRole('textbox', { name: 'Slug' });
    await expect.poll(() => slugField.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await slugField.getAttribute('aria-describedby')) ?? '';
    const fieldError = await page.evaluate(`Array.from(${JSON.stringify(describedBy.split(' '))}).map((id) => document.getElementById(id)?.textContent ?? '').join(' ')`);
    expect(fieldError).toContain('lowercase letters, digits or dashes');
    await checkScreen(page, '04-create-tenant-field-error');
    await page.keyboard.down('Shift');
    await page.keyboard.press('Tab');
    await page.keyboard.up('Shift');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(NEW_TENANT);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `Tenant ${NEW_TENANT} created.` }).waitFor();
    await page.getByRole('cell', { name: NEW_TENANT, exact: true }).waitFor();

    // Search on the server: the URL keeps the filter.
    await page.getByRole('textbox', { name: 'Search tenants' }).fill(NEW_TENANT.slice(0, 12));
    await page.waitForURL((url) => url.searchParams.get('q') === NEW_TENANT.slice(0, 12));
    await expect.poll(() => page.getByRole('table', { name: 'Tenants' }).getByRole('row').count()).toBe(2);
    await page.getByRole('cell', { name: NEW_TENANT, exact: true }).waitFor();
    await checkScreen(page, '05-tenants-search');
    await page.getByRole('textbox', { name: 'Search tenants' }).fill('no-such-tenant-prefix');
    await page.getByTestId('empty-state').filter({ hasText: 'No tenant starts with' }).waitFor();

    // Its sessions: none yet, and the empty state says what to do.
    await page.getByRole('textbox', { name: 'Search tenants' }).fill(NEW_TENANT);
    await page.getByRole('link', { name: `Sessions of ${NEW_TENANT}` }).click();
    await page.waitForURL(`${server.url}/console/tenants/${NEW_TENANT}/sessions`);
    await page.getByTestId('empty-state').filter({ hasText: 'No live MCP sessions' }).waitFor();
    await checkScreen(page, '06-sessions-empty');

    // A client connects (the session store opens a session as the gateway would): the live list shows it; revoke it.
    const sessionId = await server.openMcpSession(NEW_TENANT, 'user-alice', 'notes-client');
    const revoke = page.getByRole('button', { name: `Revoke session ${sessionId}` });
    await revoke.waitFor({ timeout: 12_000 });
    await page.getByRole('cell', { name: 'notes-client' }).waitFor();
    await checkScreen(page, '07-sessions-live');
    await revoke.click();
    await page.getByTestId('empty-state').filter({ hasText: 'No live MCP sessions' }).waitFor();
    expect((await server.call('GET', `/tenants/${NEW_TENANT}/sessions`)).json['items']).toEqual([]);

    // Its audit log: the creation is there; a filter in the URL narrows it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${server.url}/console/tenants/${NEW_TENANT}/audit`);
    // The session store's worker writes audit records a moment after the action: look again until it is there.
    await expect
      .poll(async () => {
        if (await page.getByRole('cell', { name: 'admin.tenant.create' }).isVisible()) return true;
        await page.getByRole('combobox', { name: 'Outcome' }).selectOption('success');
        await page.getByRole('combobox', { name: 'Outcome' }).selectOption('');
        return false;
      }, { timeout: 10_000, interval: 300 })
      .toBe(true);
    await checkScreen(page, '08-audit-log');
    await page.getByRole('combobox', { name: 'Outcome' }).selectOption('failure');
    await page.waitForURL((url) => url.searchParams.get('outcome') === 'failure');
    await page.getByTestId('empty-state').filter({ hasText: 'No record matches these filters' }).waitFor();
    await checkScreen(page, '09-audit-log-filtered');

    // The tenant switcher searches on the server.
    const switcher = page.locator('input').and(page.getByLabel('Tenant', { exact: true }));
    await switcher.fill(OTHER_TENANT.slice(0, 8));
    await page.getByRole('option', { name: OTHER_TENANT }).click();
    await page.waitForURL(`${server.url}/console/tenants/${OTHER_TENANT}/audit`);
    await checkScreen(page, '10-tenant-switcher');

    // An API refusal shows its error_description, code and request id (a tenant nobody has, by URL).
    await page.evaluate(`history.pushState(null, '', '/console/tenants/no-such-${suffix}/sessions'); dispatchEvent(new Event('airlock:navigate'))`);
    const refusal = page.getByRole('alert');
    await refusal.filter({ hasText: 'Could not list sessions' }).waitFor();
    expect(await refusal.textContent()).toMatch(/not_found \(HTTP 404\) · request id \S+/);
    await checkScreen(page, '12-api-error');

    // Silent renewal: a minute before the access token expires, the refresh token gets a new one, which the next call uses.
    const renewed = page.waitForResponse((response) => response.url().endsWith('/t/admin/token') && (response.request().postData() ?? '').includes('grant_type=refresh_token'));
    const authorizations = new Set<string>();
    page.on('request', (request) => {
      if (request.url().includes('/admin/v1/')) authorizations.add(request.headers()['authorization'] ?? '');
    });
    await page.clock.fastForward('24:00:00');
    const renewal = await renewed;
    expect(renewal.status()).toBe(200);
    const fresh = `Bearer ${String(((await renewal.json()) as Record<string, unknown>)['access_token'])}`;
    await page.getByRole('link', { name: 'Tenants', exact: true }).click();
    await page.getByRole('table', { name: 'Tenants' }).waitFor();
    await expect.poll(() => authorizations.has(fresh)).toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect.poll(() => revocations).toEqual([200, 200]);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 60_000);

  it('a tenant admin signs in and sees its own tenant only, without the create form', async () => {
    // Its tenant exists whether or not the test before got as far as creating it.
    if ((await server.call('GET', `/tenants/${NEW_TENANT}`)).status === 404) await server.call('POST', '/tenants', { slug: NEW_TENANT, displayName: 'Console tenant' });
    const tenantAdmin = await createAdminPerson(server, 'tenant', { role: 'tenant-admin', tenants: [NEW_TENANT] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants`);
    await signInWithKeyboard(page, tenantAdmin);
    await expect.poll(() => page.getByTestId('role').textContent()).toBe('tenant-admin');
    await page.getByRole('cell', { name: NEW_TENANT, exact: true }).waitFor();
    expect(await page.getByRole('table', { name: 'Tenants' }).getByRole('row').count()).toBe(2);
    expect(await page.getByText(OTHER_TENANT).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Create a tenant' }).count()).toBe(0);
    await checkScreen(page, '11-tenant-admin-tenants');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 60_000);
});
