import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, createAdminPerson, launchChromium, openPage, signInWithKeyboard, startConsoleServer, tabTo, type AdminPerson, type ConsoleServer } from './support/console-harness.js';

// The console's MCP servers screens end to end in a real browser against the real auth server: an http
// server added through the form (first refused by the API's upstream address policy, the refusal on the URL
// field), a stdio server added with the keyboard only, a tool catalogue seeded over the API, a tool's scopes
// changed and another tool disabled in the UI (checked over the API), the server deleted; an auditor reads
// only. Every screen: axe-core (serious/critical fail) and a screenshot.

const suffix = randomBytes(3).toString('hex');
const TENANT = `servers-${suffix}`;
const HEADER_SECRET = `Bearer s3cret-${suffix}`;
const ENV_SECRET = `t0ken-${suffix}`;

let server: ConsoleServer;
let browser: Browser;
let platformAdmin: AdminPerson;
let auditor: AdminPerson;
const cspViolations: string[] = [];



/** A text field by its accessible name (Mantine's required asterisk is aria-hidden). */
const field = (page: Page, name: string) => page.getByRole('textbox', { name, exact: true });

/** The error text a field's aria-describedby points at (empty: none). */
async function describedError(page: Page, label: string): Promise<string> {
  const field = page.getByRole('textbox', { name: label, exact: true });
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

beforeAll(async () => {
  // A loopback upstream passes the address policy (nothing listens there: registration does not connect).
  server = await startConsoleServer({ env: { AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32' } });
  expect((await server.call('POST', '/tenants', { slug: TENANT, displayName: 'Servers tenant' })).status).toBe(201);
  platformAdmin = await createAdminPerson(server, 'servers-admin', { role: 'platform-admin' });
  auditor = await createAdminPerson(server, 'servers-auditor', { role: 'auditor', tenants: [TENANT] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the MCP servers screens', () => {
  it('an admin adds an http and a stdio server, sees a refusal on its field, scopes and disables tools, deletes a server', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openPage(context, cspViolations);
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/tenants/${TENANT}/servers`)) posts.push(request.url());
    });

    await page.goto(`${server.url}/console/tenants/${TENANT}/servers`);
    await signInWithKeyboard(page, platformAdmin);
    await page.getByRole('heading', { name: /MCP servers of/ }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').allTextContents()).toEqual(['MCP servers']);
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('empty-state').textContent()).toContain('Add a server');
    await checkScreen(page, 'servers-01-empty');

    // The http server: a bad name is caught by the API's own schema in the browser (no request sent)...
    await page.getByRole('link', { name: 'Add a server' }).click();
    await page.getByRole('heading', { name: /Add an MCP server/ }).waitFor();
    await checkScreen(page, 'servers-02-add-form');
    await field(page, 'Name').fill('Not A Name');
    await field(page, 'URL').fill('http://10.20.30.40/mcp');
    await page.getByRole('combobox', { name: 'Credential' }).selectOption('static_header');
    await field(page, 'Header name').fill('Authorization');
    await page.getByLabel('Header value').fill(HEADER_SECRET);
    await page.getByRole('button', { name: 'Add server' }).click();
    await expect.poll(() => describedError(page, 'Name')).toContain('lowercase letters');
    expect(await field(page, 'Name').getAttribute('aria-invalid')).toBe('true');
    expect(posts).toEqual([]);

    // ...a private address is refused by the API's upstream address policy: its error_description on the URL field.
    await field(page, 'Name').fill('remote');
    await page.getByRole('button', { name: 'Add server' }).click();
    await expect.poll(() => describedError(page, 'URL')).toContain('url refused by the upstream address policy');
    expect(await field(page, 'URL').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('status').textContent()).toMatch(/invalid_request \(HTTP 400\) · request id \S+/);
    expect(posts).toHaveLength(1);
    await checkScreen(page, 'servers-03-add-refused');

    await field(page, 'URL').fill('http://127.0.0.1:9/mcp');
    await page.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('heading', { name: 'MCP server remote' }).waitFor();
    await page.getByTestId('empty-state').waitFor();
    const remote = await server.call('GET', `/tenants/${TENANT}/servers/remote`);
    expect(remote.json).toMatchObject({ transport: 'http', url: 'http://127.0.0.1:9/mcp', credentialKind: 'static_header', hasSecrets: true });
    expect(JSON.stringify(remote.json)).not.toContain('s3cret');
    expect(await page.content()).not.toContain('s3cret');
    await checkScreen(page, 'servers-04-detail-no-tools');

    // The stdio server, keyboard only.
    await page.getByRole('link', { name: 'MCP servers', exact: true }).click();
    await page.getByRole('table', { name: 'MCP servers' }).waitFor();
    await tabTo(page, (focused) => focused.tag === 'a' && focused.text === 'Add a server');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Add an MCP server/ }).waitFor();
    await tabTo(page, (focused) => focused.label.startsWith('Name'));
    await page.keyboard.type('local-tools');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByLabel('Transport').inputValue()).toBe('stdio');
    await page.keyboard.press('Tab');
    await page.keyboard.type('node');
    await page.keyboard.press('Tab');
    await page.keyboard.type('server.js\n--stdio');
    await page.keyboard.press('Tab');
    await page.keyboard.type(`API_TOKEN=${ENV_SECRET}`);
    await page.keyboard.press('Tab');
    // The sandbox is on unless the admin turns it off.
    expect(await page.evaluate('document.activeElement.checked')).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.type('/opt/mcp');
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Add server');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'MCP server local-tools' }).waitFor();
    const local = await server.call('GET', `/tenants/${TENANT}/servers/local-tools`);
    expect(local.json).toMatchObject({ transport: 'stdio', command: 'node', args: ['server.js', '--stdio'], sandbox: true, readOnlyPaths: ['/opt/mcp'], hasSecrets: true });
    expect(JSON.stringify(local.json)).not.toContain(ENV_SECRET);

    // The list: transport, where, credential, secrets set (not shown), era.
    await page.getByRole('link', { name: 'MCP servers', exact: true }).click();
    const table = page.getByRole('table', { name: 'MCP servers' });
    await table.waitFor();
    const remoteRow = table.getByRole('row').filter({ hasText: 'remote' });
    expect(await remoteRow.textContent()).toMatch(/http.*http:\/\/127\.0\.0\.1:9\/mcp.*static_header.*set \(sealed\).*auto \(not yet detected\)/);
    expect(await table.getByRole('row').filter({ hasText: 'local-tools' }).textContent()).toContain('node server.js --stdio');
    await checkScreen(page, 'servers-05-list');

    // A tool catalogue seeded over the API; scopes changed and a tool disabled in the UI.
    const put = await server.call('PUT', `/tenants/${TENANT}/servers/remote/tools`, {
      tools: [
        { name: 'search', description: 'Search the documents', requiredScopes: ['mcp'] },
        { name: 'delete_doc', description: 'Delete a document', requiredScopes: ['mcp', 'docs:write'] },
      ],
    });
    expect(put.status).toBe(200);
    await table.getByRole('link', { name: 'remote' }).click();
    await page.getByRole('table', { name: 'Tools' }).waitFor();
    await checkScreen(page, 'servers-06-detail-tools');
    await field(page, 'Required scopes of search').fill('mcp docs:read');
    await page.getByRole('button', { name: 'Save scopes of search' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    // Controlled by the server's answer: the box turns off once the API has disabled the tool.
    await page.getByLabel('delete_doc enabled').click();
    await expect.poll(() => page.getByLabel('delete_doc enabled').isChecked()).toBe(false);
    const tools = (await server.call('GET', `/tenants/${TENANT}/servers/remote`)).json['tools'] as Array<{ name: string; requiredScopes: string[]; enabled: boolean }>;
    expect(tools.find((tool) => tool.name === 'search')).toMatchObject({ requiredScopes: ['mcp', 'docs:read'], enabled: true });
    expect(tools.find((tool) => tool.name === 'delete_doc')).toMatchObject({ requiredScopes: ['mcp', 'docs:write'], enabled: false });
    // A scope the API refuses: its error_description on the field.
    await field(page, 'Required scopes of search').fill('mcp bad!scope');
    await page.getByRole('button', { name: 'Save scopes of search' }).click();
    await expect.poll(() => describedError(page, 'Required scopes of search')).toMatch(/requiredScopes.*request id/);

    // Delete the stdio server with the keyboard: the confirmation takes the focus, Escape would cancel.
    await page.getByRole('link', { name: 'MCP servers', exact: true }).click();
    await page.getByRole('table', { name: 'MCP servers' }).getByRole('link', { name: 'local-tools' }).click();
    await page.getByRole('heading', { name: 'MCP server local-tools' }).waitFor();
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Delete server');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await checkScreen(page, 'servers-07-delete-confirm');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'MCP servers' }).waitFor();
    expect((await server.call('GET', `/tenants/${TENANT}/servers/local-tools`)).status).toBe(404);
    await expect.poll(() => page.getByRole('table', { name: 'MCP servers' }).textContent()).not.toContain('local-tools');

    expect(cspViolations).toEqual([]);
    await context.close();
  }, 90_000);

  it('an auditor reads the servers and their tools, and changes nothing', async () => {
    // Its own server and catalogue, over the API: this test does not lean on the one before.
    expect((await server.call('POST', `/tenants/${TENANT}/servers`, { name: 'audited', transport: 'http', url: 'http://127.0.0.1:9/audited' })).status).toBe(201);
    expect((await server.call('PUT', `/tenants/${TENANT}/servers/audited/tools`, { tools: [{ name: 'search', description: 'Search the documents' }] })).status).toBe(200);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openPage(context, cspViolations);
    await page.goto(`${server.url}/console/tenants/${TENANT}/servers/audited`);
    await signInWithKeyboard(page, auditor);
    await page.getByRole('table', { name: 'Tools' }).waitFor();
    expect(await page.getByLabel('search enabled').isDisabled()).toBe(true);
    expect(await field(page, 'Required scopes of search').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete server' }).count()).toBe(0);
    await checkScreen(page, 'servers-08-auditor-detail');
    await page.getByRole('link', { name: 'MCP servers', exact: true }).click();
    await page.getByRole('table', { name: 'MCP servers' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add a server' }).count()).toBe(0);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 20_000);
});
