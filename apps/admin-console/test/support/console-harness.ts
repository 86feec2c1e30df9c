import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { authServerConfigSchema, gatewayConfigSchema, loadConfig, sessionStoreConfigSchema } from '@airlock/config';
import { deriveServiceClientSecret, ServiceClients, type Infra, type StartedApp } from '@airlock/platform';
import { aggregatedMcpUrl, sessionStoreAudience } from '@airlock/contracts';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues, freePort, signInAndApprove, totpCode } from '@airlock/testing';
// The console's end-to-end test runs the real platform it manages: the auth server that serves it and
// the session store (whose worker writes the audit log and which holds the live sessions).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startAuthServer } from '@airlock/auth-server';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSessionStore } from '@airlock/session-store';
// The story test also runs the gateway, which MCP clients connect to.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startMcpGateway } from '@airlock/mcp-gateway';

// The console as an operator meets it: the real auth server (real Postgres/Redis when DATABASE_URL/REDIS_URL
// are set) serving the built console at /console, and Debian's chromium driven by playwright-core.

const CONSOLE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * Every run's screenshots (CI's artefacts on disk), outside the tracked tree so a test run leaves no diff;
 * `AIRLOCK_SCREENSHOTS_DIR=apps/admin-console/screenshots` refreshes the committed ones the README links.
 */
export const SCREENSHOTS = process.env['AIRLOCK_SCREENSHOTS_DIR'] ?? join(CONSOLE_ROOT, '..', '..', '.artifacts', 'console-screenshots');
const BOOTSTRAP = { id: 'console-e2e-admin', secret: `console-e2e-${randomBytes(16).toString('hex')}` };
/** The gateway's public URL as the auth server is told it (no gateway runs: MCP resources are named after it). */
const GATEWAY_PUBLIC_URL = 'http://127.0.0.1:1';
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface ConsoleServer {
  url: string;
  /** The MCP gateway's public URL (a real gateway with `gateway: true`; else a name no one listens on). */
  gatewayUrl: string;
  /** The admin API as the bootstrap client. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** A live MCP session of `tenant`, opened at the session store as the gateway opens one; returns its id. */
  openMcpSession(tenant: string, subject: string, clientId: string): Promise<string>;
  /** The test database (to seed what other services write, e.g. the gateway's tool-call audit records). */
  pg: Infra['pg'];
  close(): Promise<void>;
}

/**
 * `env`: extra auth server settings, e.g. `AIRLOCK_UPSTREAM_ALLOW_CIDRS` so a test may register a loopback upstream.
 * `gateway`: the whole platform, the MCP gateway too (loopback upstreams allowed), for MCP clients.
 */
export async function startConsoleServer(options: { env?: Record<string, string>; gateway?: boolean } = {}): Promise<ConsoleServer> {
  if (!existsSync(join(CONSOLE_ROOT, 'dist', 'index.html'))) throw new Error('the admin console is not built: run `npm run build` first');
  const db = await createTestDatabase();
  const hot = createTestHotStore();
  const queues = createTestQueues();
  const [port, storePort, gatewayPort] = [await freePort(), await freePort(), options.gateway ? await freePort() : 0];
  const url = `http://127.0.0.1:${port}`;
  const gatewayUrl = options.gateway ? `http://127.0.0.1:${gatewayPort}` : GATEWAY_PUBLIC_URL;
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    AUTH_PORT: String(port),
    AUTH_PUBLIC_URL: url,
    GATEWAY_PUBLIC_URL: gatewayUrl,
    ...(options.gateway ? { GATEWAY_PORT: String(gatewayPort), AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32' } : {}),
    SESSION_STORE_PORT: String(storePort),
    SESSION_STORE_URL: `http://127.0.0.1:${storePort}`,
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP.id,
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP.secret,
    ...options.env,
  };
  const redis = Boolean(process.env['REDIS_URL']);
  const infra: Infra = {
    databaseUrl: db.url,
    pg: db.pg,
    hot,
    queues,
    masterKey: randomBytes(32),
    readiness: [],
    embedded: { database: !process.env['DATABASE_URL'], hotStore: !redis, queues: !redis },
    close: async () => undefined,
  };
  const apps: StartedApp[] = [
    await startAuthServer({ config: loadConfig(authServerConfigSchema, env), infra, logger: createTestLogger({ name: 'auth-server', level: 'warn' }) }),
    await startSessionStore({ config: loadConfig(sessionStoreConfigSchema, env), infra, logger: createTestLogger({ name: 'session-store', level: 'warn' }) }),
  ];
  if (options.gateway) apps.push(await startMcpGateway({ config: loadConfig(gatewayConfigSchema, env), infra, logger: createTestLogger({ name: 'mcp-gateway', level: 'warn' }) }));
  const issued = await fetch(`${url}/t/admin/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${BOOTSTRAP.id}:${BOOTSTRAP.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
  });
  const bearer = String(((await issued.json()) as Record<string, unknown>)['access_token']);
  return {
    url,
    gatewayUrl,
    pg: db.pg,
    async call(method, path, body) {
      const response = await fetch(`${url}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
    async openMcpSession(tenant, subject, clientId) {
      const gateway = { id: ServiceClients.gateway, secret: deriveServiceClientSecret(infra.masterKey, ServiceClients.gateway, tenant) };
      const token = await fetch(`${url}/t/${tenant}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${gateway.id}:${gateway.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'sessions:read sessions:write', resource: sessionStoreAudience(env.SESSION_STORE_URL) }),
      });
      const accessToken = String(((await token.json()) as Record<string, unknown>)['access_token']);
      const opened = await fetch(`${env.SESSION_STORE_URL}/v1/t/${tenant}/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'mcp', subject, clientId, protocolVersion: '2025-11-25' }),
      });
      const body = (await opened.json()) as Record<string, unknown>;
      if (opened.status !== 201) throw new Error(`session: ${JSON.stringify(body)}`);
      return String(body['id']);
    },
    async close() {
      for (const app of apps.reverse()) await app.close();
      await queues.close();
      await hot.close();
      await db.close();
    },
  };
}

export interface AdminPerson {
  email: string;
  password: string;
  otpauthUri: string;
}

/** An admin person over the API as an operator makes one: the person, its TOTP enrollment, its role. */
export async function createAdminPerson(server: ConsoleServer, name: string, role: { role: string; tenants?: string[] }): Promise<AdminPerson> {
  const email = `${name}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const person = await server.call('POST', '/admin-users', { email, password });
  if (person.status !== 201) throw new Error(`admin user: ${JSON.stringify(person.json)}`);
  const id = String(person.json['id']);
  const totp = await server.call('POST', `/admin-users/${id}/totp`, {});
  if (totp.status !== 201) throw new Error(`totp: ${JSON.stringify(totp.json)}`);
  const assigned = await server.call('PUT', `/role-assignments/users/${id}`, role);
  if (assigned.status !== 200) throw new Error(`role: ${JSON.stringify(assigned.json)}`);
  return { email, password, otpauthUri: String(totp.json['otpauth_uri']) };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** axe-core's serious and critical violations on the page as it is now (empty: accessible enough to pass). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => `${node.target.join(' ')} ${node.html.slice(0, 300)}`).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Tab until `matches` holds for the focused element (the keyboard is the only input), at most `limit` presses. */
export async function tabTo(page: Page, matches: (element: { tag: string; label: string; name: string; text: string }) => boolean, limit = 40): Promise<void> {
  for (let press = 0; press < limit; press++) {
    await page.keyboard.press('Tab');
    // A string: this project's type check has no DOM library (the function runs in the page).
    const focused = (await page.evaluate(`(() => {
      const element = document.activeElement;
      const label = (element && element.labels && element.labels[0] && element.labels[0].textContent) || (element && element.getAttribute('aria-label')) || '';
      return { tag: element ? element.tagName.toLowerCase() : '', label: label.trim(), name: (element && element.name) || '', text: ((element && element.textContent) || '').trim() };
    })()`)) as { tag: string; label: string; name: string; text: string };
    if (matches(focused)) return;
  }
  throw new Error(`no focusable element matched after ${limit} Tab presses`);
}

/**
 * A grant of `user` (a tenant user) to a new dynamically registered public client, as an MCP client gets
 * one: RFC 7591 registration, authorization code + PKCE through the real login and consent pages, the code
 * redeemed for tokens. Returns the client's id.
 */
export async function grantToNewClient(server: ConsoleServer, tenant: string, user: { email: string; password: string }, clientName: string): Promise<string> {
  const issuer = `${server.url}/t/${tenant}`;
  const redirectUri = 'http://127.0.0.1:9/callback';
  const resource = aggregatedMcpUrl(server.gatewayUrl, tenant);
  const registered = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: clientName, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
  });
  const client = (await registered.json()) as Record<string, unknown>;
  if (registered.status !== 201) throw new Error(`registration: ${JSON.stringify(client)}`);
  const clientId = String(client['client_id']);
  const verifier = randomBytes(32).toString('base64url');
  const authorization = new URL(`${issuer}/auth`);
  for (const [name, value] of Object.entries({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'mcp',
    resource,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }))
    authorization.searchParams.set(name, value);
  const callback = await signInAndApprove(authorization, user);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`authorization: ${callback.href}`);
  const token = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId, resource }),
  });
  if (token.status !== 200) throw new Error(`token: ${await token.text()}`);
  return clientId;
}

/** From the console's sign-in screen through the real login page (and consent), keyboard only. */
export async function signInWithKeyboard(page: Page, person: AdminPerson, screenshotPrefix?: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Sign in');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/t\/admin\/interaction\//);
  // The login page focuses the email field itself (autofocus).
  await page.locator('#email').waitFor();
  const focusedId = await page.evaluate('document.activeElement && document.activeElement.id');
  if (focusedId !== 'email') throw new Error(`the login page focused ${String(focusedId)}, not the email field`);
  await page.keyboard.type(person.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(person.password);
  await page.keyboard.press('Tab');
  await page.keyboard.type(totpCode(person.otpauthUri));
  if (screenshotPrefix) await screenshot(page, `${screenshotPrefix}-login-page`);
  await page.keyboard.press('Enter');
  // Consent, when the login page asks for it; else straight back to the console.
  const allow = page.getByRole('button', { name: 'Allow' });
  await allow.or(page.getByTestId('role')).first().waitFor();
  if (await allow.isVisible()) {
    await tabTo(page, (focused) => focused.tag === 'button' && focused.text === 'Allow');
    await page.keyboard.press('Enter');
  }
  await page.waitForURL((url) => url.pathname.startsWith('/console/') && url.pathname !== '/console/callback');
  await page.getByTestId('role').waitFor();
}

/** A page whose Content Security Policy violations (reported on the browser console) land in `violations`. */
export async function openPage(context: BrowserContext, violations: string[]): Promise<Page> {
  // Generous for a loaded CI machine (a sign-in round trip has taken over 8 s there); a real failure still fails.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return page;
}

/** Every screen: no serious or critical axe violation, and a screenshot. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page), `${name}: axe-core serious/critical violations`).toEqual([]);
  await screenshot(page, name);
}

/** The project's MCP fixture (tools/mcp-fixture): `node FIXTURE_MAIN --stdio` is a stdio upstream. */
export const FIXTURE_MAIN = fileURLToPath(new URL('../../../../tools/mcp-fixture/dist/main.js', import.meta.url));

/** The MCP fixture as an http upstream in its own process, on a free loopback port. */
export async function startHttpFixture(name: string): Promise<{ url: string; close(): void }> {
  const child: ChildProcess = spawn(process.execPath, [FIXTURE_MAIN, '--http', '--port', '0', '--name', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the MCP fixture exited with ${code}: ${seen}`)));
  });
  return { url, close: () => void child.kill() };
}
