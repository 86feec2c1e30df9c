import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, tabTo, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The console's audit screens end to end in a real browser against the real auth server: a tenant's audit
// log filtered by a time range (kept in the URL), one record's detail opened with the keyboard and closed
// with Escape, the JSON-lines export of the current filters downloaded; the platform audit log, the
// overview and the account screens; an auditor of one tenant has no platform audit entry. Every new screen:
// axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `audit-${suffix}`;

let server: ConsoleServer;
let browser: Browser;
let platformAdmin: AdminPerson;
let auditor: AdminPerson;
const cspViolations: string[] = [];



/** A `datetime-local` value (local time, minutes), as the browser on this machine reads it. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const auditRows = (page: Page) => page.getByRole('table', { name: 'Audit records' }).locator('tbody tr');

beforeAll(async () => {
  server = await startConsoleServer();
  expect((await server.call('POST', '/tenants', { slug: TENANT, displayName: 'Audit tenant' })).status).toBe(201);
  for (const name of ['ada', 'grace']) {
    expect((await server.call('POST', `/tenants/${TENANT}/users`, { email: `${name}-${suffix}@example.com`, password: `pw-${randomBytes(8).toString('hex')}` })).status).toBe(201);
  }
  platformAdmin = await createAdminPerson(server, 'audit-admin', { role: 'platform-admin' });
  auditor = await createAdminPerson(server, 'audit-auditor', { role: 'auditor', tenants: [TENANT] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the audit, overview and account screens', () => {
  it('a platform admin filters by time, reads a record with the keyboard, exports JSON lines, reads the platform audit, the overview and the account', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/audit`);
    await signInWithKeyboard(page, platformAdmin);
    await page.getByRole('heading', { name: /Audit log of/ }).waitFor();
    const all = (await server.call('GET', `/tenants/${TENANT}/audit?limit=200`)).json['items'] as { id: string; action: string }[];
    expect(all.length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => auditRows(page).count()).toBe(all.length);

    // A window in the future: nothing; the URL keeps it.
    const later = new Date(Date.now() + 3_600_000);
    await page.getByLabel('From', { exact: true }).fill(localInput(later));
    await page.waitForURL((url) => url.searchParams.get('from') !== null);
    const from = new URL(page.url()).searchParams.get('from')!;
    expect(new Date(from).getTime()).toBe(new Date(localInput(later)).getTime());
    await page.getByTestId('empty-state').filter({ hasText: 'No record matches these filters' }).waitFor();
    // The last hour: every record again; both ends in the URL.
    await page.getByLabel('From', { exact: true }).fill(localInput(new Date(Date.now() - 3_600_000)));
    await page.getByLabel('To', { exact: true }).fill(localInput(later));
    await page.waitForURL((url) => url.searchParams.get('from') !== from && url.searchParams.get('to') !== null);
    await expect.poll(() => auditRows(page).count()).toBe(all.length);
    await checkScreen(page, 'audit-01-time-range');

    // One record's detail, keyboard only: the native modal dialog; Escape closes it, focus returns.
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Details');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /Audit record/ });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Close');
    const detail = (await dialog.textContent()) ?? '';
    expect(detail).toContain('platform-admin');
    expect(detail).toMatch(/Break-glass\s*yes/);
    expect(detail).toContain('After');
    await checkScreen(page, 'audit-02-detail');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Details');

    // The JSON-lines export of the current filters, downloaded with the in-memory token.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON lines' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^audit-${TENANT}-.*\\.jsonl$`));
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { id: string; action: string });
    expect(lines.map((line) => line.id).sort()).toEqual(all.map((record) => record.id).sort());

    // The platform audit log, from the nav (admin people and their roles, made in beforeAll, are recorded there).
    const platformActions = ((await server.call('GET', '/audit?limit=10')).json['items'] as { action: string }[]).map((record) => record.action);
    expect(platformActions.length).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Platform audit', exact: true }).click();
    await page.getByRole('heading', { name: 'Platform audit log' }).waitFor();
    await page.getByRole('table', { name: 'Audit records' }).getByText(platformActions[0]!).first().waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').allTextContents()).toEqual(['Platform audit']);
    await checkScreen(page, 'audit-03-platform');

    // The overview: tool calls over time (the gateway's audit records), tenants and their counts, the latest admin actions.
    const tenantId = String((await server.call('GET', `/tenants/${TENANT}`)).json['id']);
    const outcomes = ['success', 'success', 'success', 'failure', 'refused'];
    for (const [index, outcome] of outcomes.entries()) {
      await server.pg.query(
        `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, details) VALUES ($1, $2, $3, 'u', 'c', 'mcp.tools.call', 'wiki/search', $4, '{}')`,
        [`overview-${suffix}-${index}`, tenantId, new Date(Date.now() - (10 + index) * 60_000), outcome],
      );
    }
    await page.getByRole('link', { name: 'Airlock admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('table', { name: 'Recent admin actions' }).getByText(platformActions[0]!).first().waitFor();
    expect(await page.getByTestId('overview-counts').textContent()).toMatch(/\d+\+?Tenants\d+\+?Users/);
    expect(await page.getByTestId('tool-call-totals').textContent()).toBe('5Calls1 (20.0%)Errors1Refused');
    expect(await page.getByRole('img', { name: /Last hour, per minute: 5 calls, 1 errors, 1 refused/ }).count()).toBe(1);
    const busiest = page.getByRole('table', { name: 'Busiest tenants' }).locator('tbody tr');
    expect(await busiest.allTextContents()).toEqual([`${TENANT}51120.0%`]);
    // The chart's numbers as a table: five busy minutes, behind a disclosure the keyboard opens.
    await tabTo(page, (focused) => focused.tag === 'summary');
    await page.keyboard.press('Enter');
    expect(await page.getByRole('table', { name: 'Tool calls per bucket' }).locator('tbody tr').count()).toBe(5);
    await checkScreen(page, 'overview-01');
    // Another range: kept in the URL.
    await page.getByLabel('Range').selectOption('24h');
    await page.waitForURL((url) => url.searchParams.get('range') === '24h');
    await page.getByRole('heading', { name: 'Tool calls per 15 minutes' }).waitFor();
    await page.getByRole('img', { name: /Last 24 hours, per 15 minutes: 5 calls/ }).waitFor();

    // The account: who the API says this is; sign out.
    await page.getByTestId('caller').click();
    await page.getByRole('heading', { name: 'Your admin account' }).waitFor();
    const account = (await page.getByRole('main').textContent()) ?? '';
    expect(account).toContain('platform-admin');
    expect(account).toContain('every tenant');
    expect(account).toMatch(/Break-glass\s*no/);
    await checkScreen(page, 'account-01');
    await page.getByRole('button', { name: 'Sign out of the console' }).click();
    await page.getByRole('heading', { name: 'Airlock admin console' }).waitFor();

    expect(cspViolations).toEqual([]);
    await context.close();
  }, 60_000);

  it('an auditor of one tenant has no platform audit entry and sees its own account', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/audit`);
    await signInWithKeyboard(page, auditor);
    await page.getByRole('heading', { name: /Audit log of/ }).waitFor();
    await auditRows(page).first().waitFor();
    expect(await page.getByRole('link', { name: 'Platform audit' }).count()).toBe(0);
    await page.getByTestId('caller').click();
    await page.getByRole('heading', { name: 'Your admin account' }).waitFor();
    const account = (await page.getByRole('main').textContent()) ?? '';
    expect(account).toContain('auditor');
    expect(account).toContain(TENANT);
    await checkScreen(page, 'account-02-auditor');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 20_000);
});
