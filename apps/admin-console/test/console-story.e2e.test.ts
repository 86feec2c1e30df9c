import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import {
  checkScreen,
  createAdminPerson,
  FIXTURE_MAIN,
  launchChromium,
  openPage,
  signInWithKeyboard,
  startConsoleServer,
  startHttpFixture,
  type AdminPerson,
  type ConsoleServer,
} from './support/console-harness.js';

// The console's whole story in one run, in Debian's chromium against the real platform (auth server,
// session store and MCP gateway; real Postgres and Redis in CI): a platform admin signs in, creates a
// tenant and a tenant admin (Admins screen); the tenant admin signs in and sees no other tenant, adds an
// http server (the MCP fixture in its own process) and a stdio server (the fixture run by the gateway);
// an MCP client (the official SDK client) connects through OAuth (registration, login and consent pages);
// the servers' tools show in the console, a tool's scope is changed, the client's live session appears,
// is revoked and the client is refused; the actions are in the tenant's and the platform's audit logs.
// Every new screen: axe-core (serious/critical fail), no CSP violation, a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `story-${suffix}`;
const OTHER = `other-${suffix}`;
const USER = { email: `mcp-user-${suffix}@example.com`, password: `pw-${randomBytes(10).toString('hex')}` };

let server: ConsoleServer;
let browser: Browser;
let platform: AdminPerson;
let fixture: { url: string; close(): void };
const contexts: BrowserContext[] = [];
const cspViolations: string[] = [];
const clients: Client[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return openPage(context, cspViolations);
}

/** The nav's link (in-app navigation: a reload would forget the in-memory tokens). */
const navTo = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

/**
 * `action` in the audit log on screen, found with the Action filter (in the URL). Records are written by the
 * session store's worker a moment after the action: the filter is applied again until the record shows.
 */
async function seeAuditAction(page: Page, action: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Action' }).fill(action);
  await page.getByRole('textbox', { name: 'Action' }).press('Enter');
  await page.waitForURL((url) => url.searchParams.get('action') === action);
  await expect
    .poll(
      async () => {
        if ((await page.getByRole('table', { name: 'Audit records' }).getByRole('cell', { name: action, exact: true }).count()) > 0) return true;
        await page.getByRole('combobox', { name: 'Outcome' }).selectOption('success');
        await page.getByRole('combobox', { name: 'Outcome' }).selectOption('');
        return false;
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(true);
}

/** The official MCP SDK client through OAuth: the gateway's 401, discovery, registration, login and consent, the code redeemed. */
async function connectMcpClient(url: string): Promise<{ client: Client; clientId: string }> {
  const provider = new MemoryOAuthProvider('Story MCP client');
  const first = new Client({ name: 'story', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  const callback = await signInAndApprove(provider.authorizationUrl!, USER);
  await transport.finishAuth(callback.searchParams.get('code')!);
  const client = new Client({ name: 'story', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  clients.push(client);
  const clientId = (await provider.clientInformation())?.client_id;
  if (!clientId) throw new Error('the SDK client did not register');
  return { client, clientId };
}

beforeAll(async () => {
  server = await startConsoleServer({ gateway: true });
  fixture = await startHttpFixture('story-web');
  platform = await createAdminPerson(server, 'story-platform', { role: 'platform-admin' });
  expect((await server.call('POST', '/tenants', { slug: OTHER, displayName: 'Someone else' })).status).toBe(201);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  fixture?.close();
});

describe('the console story', () => {
  it('platform admin to tenant admin to a live, revoked MCP session, all in the audit log', async () => {
    // 1. The platform admin signs in and creates the tenant.
    const admin = await newPage();
    await admin.goto(`${server.url}/console/tenants`);
    await signInWithKeyboard(admin, platform);
    const create = admin.getByRole('form', { name: 'Create a tenant' });
    await create.getByRole('textbox', { name: 'Slug' }).fill(TENANT);
    await create.getByRole('textbox', { name: 'Display name' }).fill('Story tenant');
    await create.getByRole('button', { name: 'Create tenant' }).click();
    await create.getByRole('status').filter({ hasText: `Tenant ${TENANT} created.` }).waitFor();
    await checkScreen(admin, 'story-01-tenant-created');

    // 2. ... and its tenant admin, a new person: the Admins screen shows their authenticator enrollment once.
    await navTo(admin, 'Admins');
    const grant = admin.getByRole('form', { name: 'Grant an admin role' });
    const tenantAdmin: AdminPerson = { email: `story-tenant-admin-${suffix}@example.com`, password: `pw-${randomBytes(10).toString('hex')}`, otpauthUri: '' };
    await grant.getByRole('textbox', { name: 'Email' }).fill(tenantAdmin.email);
    await grant.getByLabel('Password for a new person').fill(tenantAdmin.password);
    await grant.getByRole('combobox', { name: 'Role' }).selectOption('tenant-admin');
    await grant.getByRole('textbox', { name: 'Tenants' }).fill(TENANT);
    await grant.getByRole('button', { name: 'Grant role' }).click();
    await grant.getByRole('status').filter({ hasText: `${tenantAdmin.email} now holds the tenant-admin role.` }).waitFor();
    tenantAdmin.otpauthUri = (await admin.getByTestId('otpauth-uri').textContent()) ?? '';
    expect(tenantAdmin.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    await admin.getByRole('table', { name: 'Role assignments' }).getByRole('cell', { name: tenantAdmin.email, exact: true }).waitFor();
    await checkScreen(admin, 'story-02-tenant-admin-granted');
    // The MCP user of the tenant (end users are not the console's story).
    expect((await server.call('POST', `/tenants/${TENANT}/users`, USER)).status).toBe(201);

    // 3. The tenant admin signs in: their tenant only; no Admins link; another tenant's pages are refused.
    const page = await newPage();
    await page.goto(`${server.url}/console/tenants`);
    await signInWithKeyboard(page, tenantAdmin);
    expect(await page.getByTestId('role').textContent()).toBe('tenant-admin');
    const tenants = page.getByRole('table', { name: 'Tenants' });
    await tenants.getByRole('cell', { name: TENANT, exact: true }).waitFor();
    expect(await tenants.getByRole('row').count()).toBe(2);
    expect(await tenants.textContent()).not.toContain(OTHER);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admins' }).count()).toBe(0);
    await checkScreen(page, 'story-03-tenant-admin-tenants');
    await page.evaluate(`history.pushState(null, '', '/console/tenants/${OTHER}/sessions'); dispatchEvent(new Event('airlock:navigate'))`);
    await page.getByRole('alert').filter({ hasText: 'no such tenant' }).waitFor();

    // 4. An http server (the fixture's own process) and a stdio server (the fixture, run by the gateway).
    await page.evaluate(`history.pushState(null, '', '/console/tenants/${TENANT}/servers'); dispatchEvent(new Event('airlock:navigate'))`);
    await page.getByRole('link', { name: 'Add a server' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('web');
    await page.getByRole('textbox', { name: 'URL', exact: true }).fill(fixture.url);
    await page.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('heading', { name: 'MCP server web' }).waitFor();
    await navTo(page, 'MCP servers');
    await page.getByRole('link', { name: 'Add a server' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('local');
    await page.getByLabel('Transport').selectOption('stdio');
    await page.getByRole('textbox', { name: 'Command', exact: true }).fill(process.execPath);
    await page.getByRole('textbox', { name: 'Arguments', exact: true }).fill(`${FIXTURE_MAIN}\n--stdio`);
    // The fixture runs from this checkout (its node and node_modules): trusted, so outside the sandbox.
    await page.getByLabel('Run in the sandbox (bubblewrap)').uncheck();
    await page.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('heading', { name: 'MCP server local' }).waitFor();
    await navTo(page, 'MCP servers');
    const servers = page.getByRole('table', { name: 'MCP servers' });
    await servers.getByRole('link', { name: 'local' }).waitFor();
    await servers.getByRole('link', { name: 'web' }).waitFor();
    await checkScreen(page, 'story-04-servers');

    // 5. An MCP client connects through OAuth; both servers' tools come through the gateway.
    const { client, clientId } = await connectMcpClient(aggregatedMcpUrl(server.gatewayUrl, TENANT));
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['web__test_simple_text', 'local__test_simple_text']));
    const called = await client.callTool({ name: 'local__test_simple_text', arguments: {} });
    expect(called.isError ?? false).toBe(false);

    // 6. The tools in the console (catalogued as the gateway saw them); one tool's scope changed.
    await servers.getByRole('link', { name: 'web' }).click();
    const tools = page.getByRole('table', { name: 'Tools' });
    await tools.getByRole('cell', { name: 'test_simple_text', exact: true }).waitFor();
    await checkScreen(page, 'story-05-server-tools');
    await page.getByRole('textbox', { name: 'Required scopes of test_simple_text', exact: true }).fill('mcp docs:read');
    await page.getByRole('button', { name: 'Save scopes of test_simple_text' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const web = (await server.call('GET', `/tenants/${TENANT}/servers/web`)).json['tools'] as Array<{ name: string; requiredScopes: string[] }>;
    expect(web.find((tool) => tool.name === 'test_simple_text')?.requiredScopes).toEqual(['mcp', 'docs:read']);
    await navTo(page, 'MCP servers');
    await servers.getByRole('link', { name: 'local' }).click();
    await tools.getByRole('cell', { name: 'test_simple_text', exact: true }).waitFor();

    // 7. The client's live session appears (the list refreshes itself), is revoked, and the client is refused.
    await navTo(page, 'Sessions');
    const sessions = page.getByRole('table', { name: 'Live MCP sessions' });
    const row = sessions.getByRole('row').filter({ hasText: clientId });
    await row.waitFor({ timeout: 20_000 });
    await checkScreen(page, 'story-06-live-session');
    await row.getByRole('button', { name: /^Revoke session / }).click();
    await page.getByTestId('empty-state').filter({ hasText: 'No live MCP sessions' }).waitFor({ timeout: 20_000 });
    await expect(client.listTools()).rejects.toThrow();
    expect((await server.call('GET', `/tenants/${TENANT}/sessions`)).json['items']).toEqual([]);

    // 8. The actions in the tenant's audit log (the tool call too), and the role grant in the platform's.
    await navTo(page, 'Audit log');
    for (const action of ['admin.tenant.create', 'admin.server.create', 'admin.tool.update', 'mcp.tools.call', 'admin.session.revoke']) await seeAuditAction(page, action);
    await checkScreen(page, 'story-07-audit');
    await navTo(admin, 'Platform audit');
    await seeAuditAction(admin, 'admin.putRoleAssignment');
    await checkScreen(admin, 'story-08-platform-audit');
    expect(cspViolations).toEqual([]);
  }, 240_000);
});
