import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  createAdminPerson,
  grantToNewClient,
  launchChromium,
  screenshot,
  seriousViolations,
  signInWithKeyboard,
  startConsoleServer,
  tabTo,
  type AdminPerson,
  type ConsoleServer,
} from './support/console-harness.js';

// The users and clients screens of a tenant in a real browser against the real auth server: users seeded
// over the admin API are searched (`?q=` in the URL), one is opened (grants, sign-ins, MCP sessions) and
// signed out everywhere with the keyboard only through the confirm dialog (the API then shows no grant);
// a client is disabled from its list (the API shows it disabled). Every screen: axe-core (serious/critical
// fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `people-${suffix}`;
const EMPTY_TENANT = `empty-${suffix}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

let server: ConsoleServer;
let browser: Browser;
let admin: AdminPerson;
let auditor: AdminPerson;
let alice: { id: string; email: string };
let clientId: string;
let calendarClientId: string;
const cspViolations: string[] = [];

async function createUser(email: string, displayName: string): Promise<string> {
  const created = await server.call('POST', `/tenants/${TENANT}/users`, { email, password: PASSWORD, displayName });
  if (created.status !== 201) throw new Error(`user: ${JSON.stringify(created.json)}`);
  return String(created.json['id']);
}

async function checkScreen(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page), `${name}: axe-core serious/critical violations`).toEqual([]);
  await screenshot(page, name);
}

async function signedInPage(person: AdminPerson, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(8_000);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(`${server.url}/console${path}`);
  await signInWithKeyboard(page, person);
  return page;
}

/** In-app navigation (a reload would forget the in-memory tokens). */
async function go(page: Page, path: string): Promise<void> {
  await page.evaluate(`history.pushState(null, '', ${JSON.stringify(`/console${path}`)}); dispatchEvent(new Event('airlock:navigate'))`);
}

beforeAll(async () => {
  server = await startConsoleServer();
  for (const slug of [TENANT, EMPTY_TENANT]) expect((await server.call('POST', '/tenants', { slug, displayName: slug, registrationPolicy: 'open' })).status).toBe(201);
  [admin, auditor] = await Promise.all([createAdminPerson(server, 'users-admin', { role: 'platform-admin' }), createAdminPerson(server, 'users-auditor', { role: 'auditor', tenants: [TENANT] })]);
  const aliceEmail = `alice-${suffix}@example.com`;
  alice = { id: await createUser(aliceEmail, 'Alice Adams'), email: aliceEmail };
  await createUser(`alan-${suffix}@example.com`, 'Alan Turing');
  const bobEmail = `bob-${suffix}@example.com`;
  await createUser(bobEmail, 'Bob Brown');
  // Alice approves an MCP client (a grant) and has a live MCP session through it.
  clientId = await grantToNewClient(server, TENANT, { email: alice.email, password: PASSWORD }, 'Notes MCP client');
  await server.openMcpSession(TENANT, alice.id, clientId);
  // Bob approves another client, whose grants are revoked all at once from its page.
  calendarClientId = await grantToNewClient(server, TENANT, { email: bobEmail, password: PASSWORD }, 'Calendar MCP client');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the users and clients screens', () => {
  it('finds a user by search, opens them and signs them out everywhere with the keyboard; disables a client', async () => {
    const page = await signedInPage(admin, `/tenants/${TENANT}/users`);
    await page.getByRole('table', { name: 'Users' }).waitFor();
    expect(await page.getByRole('table', { name: 'Users' }).getByRole('row').count()).toBe(4);
    await checkScreen(page, '13-users');

    // Server-side search: the URL keeps the filter.
    await page.getByRole('textbox', { name: 'Search users' }).fill('al');
    await page.waitForURL((url) => url.searchParams.get('q') === 'al');
    await expect.poll(() => page.getByRole('table', { name: 'Users' }).getByRole('row').count()).toBe(3);
    await page.getByRole('textbox', { name: 'Search users' }).fill('alice');
    await expect.poll(() => page.getByRole('table', { name: 'Users' }).getByRole('row').count()).toBe(2);
    await checkScreen(page, '14-users-search');
    await page.getByRole('combobox', { name: 'Status' }).selectOption('true');
    await page.waitForURL((url) => url.searchParams.get('disabled') === 'true' && url.searchParams.get('q') === 'alice');
    await page.getByTestId('empty-state').filter({ hasText: 'No user matches these filters' }).waitFor();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('');

    // Open Alice: her grant, her MCP session.
    await page.getByRole('link', { name: alice.email }).click();
    await page.waitForURL(`${server.url}/console/tenants/${TENANT}/users/${alice.id}`);
    await page.getByRole('heading', { name: alice.email }).waitFor();
    await page.getByRole('table', { name: 'Grants' }).getByRole('link', { name: clientId }).waitFor();
    await page.getByRole('table', { name: 'MCP sessions' }).getByRole('cell', { name: clientId }).waitFor();
    await page.getByRole('table', { name: 'Browser sign-ins' }).or(page.getByTestId('empty-state').filter({ hasText: 'Not signed in anywhere' })).first().waitFor();
    await checkScreen(page, '15-user-detail');

    // Sign out everywhere, keyboard only: the dialog opens on Cancel; Tab to the confirm button.
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Sign out everywhere');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Sign ${alice.email} out everywhere?` });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Cancel');
    await checkScreen(page, '16-user-sign-out-confirm');
    // Escape closes it without acting.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await server.call('GET', `/tenants/${TENANT}/users/${alice.id}/grants`)).json['items']).toHaveLength(1);
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Sign out everywhere');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: /Signed out everywhere: 1 grant\(s\) revoked/ }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
    expect((await server.call('GET', `/tenants/${TENANT}/users/${alice.id}/grants`)).json['items']).toEqual([]);
    expect((await server.call('GET', `/tenants/${TENANT}/sessions?subject=${alice.id}`)).json['items']).toEqual([]);
    await page.getByTestId('empty-state').filter({ hasText: 'No grants' }).waitFor();
    await page.getByTestId('empty-state').filter({ hasText: 'No live MCP sessions' }).waitFor();

    // Clients: the DCR client with its last use; disable it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients' }).click();
    await page.waitForURL(`${server.url}/console/tenants/${TENANT}/clients`);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: clientId }) });
    await row.getByRole('cell', { name: 'Dynamic (DCR)' }).waitFor();
    expect(await row.getByRole('cell', { name: 'Never' }).count()).toBe(0);
    await checkScreen(page, '17-clients');
    await page.getByRole('button', { name: `Disable client ${clientId}` }).click();
    await page.getByRole('button', { name: `Enable client ${clientId}` }).waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}/clients/${encodeURIComponent(clientId)}`)).json).toMatchObject({ client_id: clientId, disabled: true });
    await page.getByRole('combobox', { name: 'Kind' }).selectOption('metadata_document');
    await page.waitForURL((url) => url.searchParams.get('kind') === 'metadata_document');
    await page.getByTestId('empty-state').filter({ hasText: 'No client matches these filters' }).waitFor();
    await page.getByRole('combobox', { name: 'Kind' }).selectOption('');

    // The client's page: its grants (none left after the sign-out).
    await page.getByRole('link', { name: clientId }).click();
    await page.getByRole('heading', { name: 'Notes MCP client' }).waitFor();
    await page.getByTestId('empty-state').filter({ hasText: 'No grants' }).waitFor();
    await checkScreen(page, '18-client-detail');

    // Another client: revoke every grant users gave it, through the confirm dialog.
    await page.getByRole('link', { name: /All clients of/ }).click();
    await page.getByRole('link', { name: calendarClientId }).click();
    await page.getByRole('heading', { name: 'Calendar MCP client' }).waitFor();
    await page.getByRole('table', { name: 'Grants' }).getByRole('row').nth(1).waitFor();
    await page.getByRole('button', { name: 'Revoke all grants' }).click();
    await page.getByRole('dialog', { name: 'Revoke every grant users gave this client?' }).getByRole('button', { name: 'Revoke all grants' }).click();
    await page.getByRole('status').filter({ hasText: '1 grant(s) revoked' }).waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}/clients/${encodeURIComponent(calendarClientId)}/grants`)).json['items']).toEqual([]);

    // Another tenant: empty states that say what to do.
    await go(page, `/tenants/${EMPTY_TENANT}/users`);
    await page.getByTestId('empty-state').filter({ hasText: 'No users yet' }).waitFor();
    await checkScreen(page, '19-users-empty');
    expect(cspViolations).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('an auditor sees the same screens with every action disabled', async () => {
    const page = await signedInPage(auditor, `/tenants/${TENANT}/users/${alice.id}`);
    await page.getByRole('heading', { name: alice.email }).waitFor();
    for (const name of ['Disable user', 'Sign out everywhere', 'Reset sign-in']) expect(await page.getByRole('button', { name }).isDisabled()).toBe(true);
    await checkScreen(page, '20-user-detail-auditor');
    await go(page, `/tenants/${TENANT}/clients`);
    await page.getByRole('table', { name: 'Clients' }).waitFor();
    expect(await page.getByRole('button', { name: `Enable client ${clientId}` }).isDisabled()).toBe(true);
    expect(cspViolations).toEqual([]);
    await page.context().close();
  }, 30_000);
});
