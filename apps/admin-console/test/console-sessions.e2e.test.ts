import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, tabTo, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The live sessions screen at more than a page of sessions, in a real browser against the real auth server
// and session store: sorted by the API (last activity by default, or start), paged, filtered by client; the
// URL keeps sort and filters (a reload signs in again and comes back to the same view); rows selected with
// the keyboard are revoked in one call after a confirmation, then every session matching the filter; the API
// and the audit log agree. Every screen: axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `sessions-${suffix}`;
const SESSIONS = 30;

let server: ConsoleServer;
let browser: Browser;
let admin: AdminPerson;
const opened: string[] = [];
const cspViolations: string[] = [];

const rows = (page: Page) => page.getByRole('table', { name: 'Live MCP sessions' }).locator('tbody tr');
const firstSubject = (page: Page) => rows(page).first().locator('td').nth(1).textContent();
const liveIds = async (query = '') => ((await server.call('GET', `/tenants/${TENANT}/sessions?limit=200${query}`)).json['items'] as Array<{ id: string }>).map((item) => item.id);

beforeAll(async () => {
  server = await startConsoleServer();
  expect((await server.call('POST', '/tenants', { slug: TENANT, displayName: 'Sessions tenant' })).status).toBe(201);
  // Opened at the session store as the gateway opens them: even ones by client-a, odd ones by client-b.
  for (let index = 0; index < SESSIONS; index++) opened.push(await server.openMcpSession(TENANT, `user-${String(index).padStart(2, '0')}`, index % 2 ? 'client-b' : 'client-a'));
  // The durable rows (what the list pages) are written off the request path.
  for (const started = Date.now(); (await liveIds()).length < SESSIONS; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (Date.now() - started > 20_000) throw new Error('the session store did not write the sessions');
  }
  // user-05's session was the last one active (as a touch flushed by the session store records it).
  await server.pg.query(`UPDATE sessions SET last_seen_at = now() + interval '1 minute' WHERE id = $1`, [opened[5]]);
  admin = await createAdminPerson(server, 'sessions-admin', { role: 'tenant-admin', tenants: [TENANT] });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the live sessions screen', () => {
  it('sorts and pages on the server, keeps sort and filter in the URL, revokes selected rows and every matching session', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/sessions`);
    await signInWithKeyboard(page, admin);
    await page.getByRole('table', { name: 'Live MCP sessions' }).waitFor();

    // Default: most recent activity first (the API's ?sort=-last_seen), 25 a page.
    expect(await rows(page).count()).toBe(25);
    expect(await firstSubject(page)).toBe('user-05');
    expect(await page.getByRole('columnheader', { name: 'Last seen' }).getAttribute('aria-sort')).toBe('descending');

    // Started, newest first: in the URL, and the next page holds the rest.
    await page.getByRole('combobox', { name: 'Sort by' }).selectOption('-created');
    await page.waitForURL(/[?&]sort=-created/);
    await expect.poll(() => firstSubject(page)).toBe('user-29');
    expect(await page.getByRole('columnheader', { name: 'Since' }).getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL(/[?&]cursor=/);
    await expect.poll(() => rows(page).count()).toBe(5);
    expect(await firstSubject(page)).toBe('user-04');
    await page.getByRole('button', { name: 'First page' }).click();

    // Filter by client (keyboard): the URL keeps filter and sort.
    await tabTo(page, (focused) => focused.label.startsWith('Client id'));
    await page.keyboard.type('client-b');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('client') === 'client-b' && url.searchParams.get('sort') === '-created');
    await expect.poll(() => rows(page).count()).toBe(15);
    expect(await firstSubject(page)).toBe('user-29');
    const shared = page.url();

    // The same URL in a new page (tokens are in memory: it signs in again, here without a form since the
    // browser's sign-in at the auth server is still live) comes back to the same view.
    const other = await openPage(context, cspViolations);
    await other.goto(shared);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.waitForURL((url) => url.pathname.endsWith('/sessions') && url.searchParams.get('client') === 'client-b');
    await other.getByRole('table', { name: 'Live MCP sessions' }).waitFor();
    expect(new URL(other.url()).search).toBe(new URL(shared).search);
    await expect.poll(() => rows(other).count()).toBe(15);
    expect(await other.getByRole('textbox', { name: 'Client id', exact: false }).inputValue()).toBe('client-b');
    expect(await other.getByRole('combobox', { name: 'Sort by' }).inputValue()).toBe('-created');
    await other.close();

    // Select three rows with the keyboard (Tab, Space), revoke them in one call after confirming.
    const chosen = [opened[29]!, opened[27]!, opened[25]!];
    for (const id of chosen) {
      await tabTo(page, (focused) => focused.label === `Select session ${id}`, 80);
      await page.keyboard.press('Space');
    }
    const revokeSelected = page.getByRole('button', { name: 'Revoke selected (3)' });
    await revokeSelected.waitFor();
    await checkScreen(page, 'sessions-01-filtered-selected');
    await revokeSelected.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Revoke 3 sessions?' });
    await dialog.waitFor();
    // Focus starts on Cancel; Escape closes without acting.
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Cancel');
    await checkScreen(page, 'sessions-02-revoke-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await liveIds('&client=client-b')).toHaveLength(15);
    await revokeSelected.click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('sessions-status').filter({ hasText: 'Revoked 3 sessions.' }).waitFor();
    await expect.poll(() => rows(page).count()).toBe(12);
    const left = await liveIds('&client=client-b');
    expect(left).toHaveLength(12);
    for (const id of chosen) expect(left).not.toContain(id);
    // One admin record naming the ids, and the session store's own record of each ended session.
    await expect
      .poll(async () => ((await server.call('GET', `/tenants/${TENANT}/audit?action=admin.sessions.revoke`)).json['items'] as Array<{ details: { revokedIds?: string[] } }>)[0]?.details.revokedIds?.sort())
      .toEqual([...chosen].sort());
    await expect.poll(async () => ((await server.call('GET', `/tenants/${TENANT}/audit?action=session.revoke`)).json['items'] as unknown[]).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);

    // Every session matching the filter, on every page.
    await page.getByRole('button', { name: 'Revoke all matching' }).click();
    const all = page.getByRole('dialog', { name: 'Revoke every matching session?' });
    expect(await all.textContent()).toContain('of client client-b');
    await all.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('sessions-status').filter({ hasText: 'Revoked 12 sessions.' }).waitFor();
    await page.getByTestId('empty-state').filter({ hasText: 'No live session matches these filters' }).waitFor();
    await checkScreen(page, 'sessions-03-filter-empty');
    expect(await liveIds('&client=client-b')).toEqual([]);
    expect(await liveIds('&client=client-a')).toHaveLength(15);

    // Clearing the filter shows client-a's sessions, still by start, newest first.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => !url.searchParams.has('client'));
    await expect.poll(() => rows(page).count()).toBe(15);
    expect(await firstSubject(page)).toBe('user-28');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 150_000);
});
