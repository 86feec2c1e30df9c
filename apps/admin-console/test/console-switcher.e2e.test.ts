import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The tenant switcher with a thousand tenants, in a real browser against the real auth server: typing a
// prefix asks the server (the first 10 matches, never the whole list), a tenant is picked with the keyboard
// only, and the tenants opened last come first under "Recent" (newest first, at most five, kept across a
// sign-in in the same browser). Every screen: axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const PREFIX = `fleet-${suffix}`;
const TENANTS = 1_000;
const slug = (n: number) => `${PREFIX}-${String(n).padStart(4, '0')}`;

let server: ConsoleServer;
let browser: Browser;
let admin: AdminPerson;
const cspViolations: string[] = [];

const switcher = (page: Page) => page.locator('input').and(page.getByLabel('Tenant', { exact: true }));
/** The options the open switcher offers, under each group label, in order. */
const groups = (page: Page) =>
  page.evaluate(`(() => {
    const listbox = document.querySelector('[role="listbox"]');
    if (!listbox) return {};
    const result = {};
    for (const group of listbox.querySelectorAll('.mantine-Select-group')) {
      const label = group.querySelector('.mantine-Select-groupLabel');
      result[label ? label.textContent : ''] = [...group.querySelectorAll('[role="option"]')].map((option) => option.textContent);
    }
    return result;
  })()`) as Promise<Record<string, string[]>>;

/**
 * Presses ArrowDown until the option the input points at (aria-activedescendant) is `target`: where the
 * highlight starts depends on whether the current tenant is in the list, so counting presses is not enough.
 */
async function arrowTo(page: Page, target: string): Promise<void> {
  for (let press = 0; press < 40; press++) {
    await page.keyboard.press('ArrowDown');
    const active = (await page.evaluate(`(() => {
      const input = document.activeElement;
      const id = input && input.getAttribute('aria-activedescendant');
      const option = id && document.getElementById(id);
      return option ? option.textContent : '';
    })()`)) as string;
    if (active === target) return;
  }
  throw new Error(`the arrow keys never reached ${target}`);
}

/** Types a prefix in the switcher and picks `target` with the arrow keys and Enter (keyboard only). */
async function pick(page: Page, prefix: string, target: string): Promise<void> {
  await switcher(page).focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(prefix);
  // The server's answer (not the list shown before the debounced search went out).
  await expect.poll(async () => (await groups(page))['Matching'] ?? []).toContain(target);
  await arrowTo(page, target);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/console/tenants/${target}/`));
}

beforeAll(async () => {
  server = await startConsoleServer();
  // A thousand tenants, inserted as the bench seeds them (creating each over the API takes ~0.1 s).
  await server.pg.query(
    `INSERT INTO tenants (id, slug, display_name, created_at, updated_at)
     SELECT gen_random_uuid(), $1 || '-' || lpad(n::text, 4, '0'), 'Fleet tenant ' || n, now(), now() FROM generate_series(0, $2::int - 1) n`,
    [PREFIX, TENANTS],
  );
  admin = await createAdminPerson(server, 'switcher-admin', { role: 'platform-admin' });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the tenant switcher at a thousand tenants', () => {
  it('searches on the server, picks with the keyboard, and offers the recent tenants first, newest first, at most five', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, cspViolations);
    const searches: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/admin/v1/tenants')) searches.push(url.search);
    });
    await page.goto(`${server.url}/console/tenants`);
    await signInWithKeyboard(page, admin);
    await page.getByRole('table', { name: 'Tenants' }).waitFor();

    // A prefix matching 100 tenants: the server answers its first 10, and the switcher shows exactly those.
    await switcher(page).focus();
    await page.keyboard.type(`${PREFIX}-04`);
    await page.getByRole('listbox').getByRole('option', { name: slug(400), exact: true }).waitFor();
    expect(await page.getByRole('listbox').getByRole('option').allTextContents()).toEqual(Array.from({ length: 10 }, (_, index) => slug(400 + index)));
    expect(searches.some((search) => new URLSearchParams(search).get('q') === `${PREFIX}-04` && new URLSearchParams(search).get('limit') === '10')).toBe(true);
    // No request ever asked for more than a page.
    expect(searches.every((search) => Number(new URLSearchParams(search).get('limit') ?? '0') <= 200)).toBe(true);
    await checkScreen(page, 'switcher-01-search');
    await page.keyboard.press('Escape');

    // Keyboard only: three tenants picked by search.
    for (const n of [400, 777, 123]) await pick(page, slug(n), slug(n));
    await page.getByRole('heading', { name: new RegExp(slug(123)) }).waitFor();

    // Opened with nothing typed: "Recent" first, newest first; the current one included.
    await switcher(page).focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await expect.poll(async () => (await groups(page))['Recent']).toEqual([slug(123), slug(777), slug(400)]);
    await checkScreen(page, 'switcher-02-recent');
    // A recent tenant, with the arrow keys: it moves to the top.
    await arrowTo(page, slug(400));
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/console/tenants/${slug(400)}/`));

    // At most five, the oldest dropped.
    for (const n of [1, 2, 3]) await pick(page, slug(n), slug(n));
    await switcher(page).focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await expect.poll(async () => (await groups(page))['Recent']).toEqual([slug(3), slug(2), slug(1), slug(400), slug(123)]);
    await page.keyboard.press('Escape');

    // Kept in this browser across a new sign-in.
    const again = await openPage(context, cspViolations);
    await again.goto(`${server.url}/console/tenants`);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByRole('table', { name: 'Tenants' }).waitFor();
    await switcher(again).click();
    await expect.poll(async () => (await groups(again))['Recent']).toEqual([slug(3), slug(2), slug(1), slug(400), slug(123)]);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 150_000);
});
