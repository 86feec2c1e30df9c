import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';

// The operator's upstream address policy at registration: the admin API refuses upstream URLs and
// client-credentials token URLs that point inside the network unless an allow-list says so, and never
// accepts metadata/link-local, unspecified or Airlock's own services, whatever the allow-list.

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

interface Started {
  server: AuthServerHarness;
  token: string;
}

async function start(env: Record<string, string>): Promise<Started> {
  const server = await startAuthServerHarness(env);
  const issued = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  const token = String(issued.json['access_token']);
  const created = await api({ server, token }, 'POST', '/tenants', { slug: 'acme', displayName: 'Acme' });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return { server, token };
}

async function api(at: Started, method: string, path: string, body?: unknown) {
  const response = await fetch(`${at.server.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${at.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const httpServer = (name: string, url: string) => ({ name, transport: 'http', url });
const withTokenUrl = (name: string, tokenUrl: string) => ({
  name,
  transport: 'http',
  url: 'https://93.184.216.34/mcp',
  credentialKind: 'client_credentials',
  secrets: { tokenUrl, clientId: 'gw', clientSecret: 'gw-secret' },
});

async function storedServers(at: Started): Promise<string[]> {
  const { rows } = await at.server.db.pg.query<{ name: string }>('SELECT name FROM upstream_servers ORDER BY name');
  return rows.map((row) => row.name);
}

async function expectRefused(at: Started, body: Record<string, unknown>, field: RegExp, why: RegExp) {
  const before = await storedServers(at);
  const response = await api(at, 'POST', '/tenants/acme/servers', body);
  expect(response.status, JSON.stringify(response.json)).toBe(400);
  expect(response.json['error']).toBe('invalid_request');
  const description = String(response.json['error_description']);
  expect(description).toMatch(field);
  expect(description).toMatch(why);
  expect(JSON.stringify(response.json)).not.toMatch(/stack|at \//);
  // Nothing persisted on refusal.
  expect(await storedServers(at)).toEqual(before);
}

describe('upstream address policy at registration, no allow-list (the default)', () => {
  let at: Started;
  beforeAll(async () => {
    at = await start({});
  });
  afterAll(async () => {
    await at?.server.close();
  });

  it.each([
    ['metadata', 'http://169.254.169.254/latest/meta-data/', /link-local/],
    ['loopback-v4', 'http://127.0.0.1:8080/mcp', /loopback/],
    ['loopback-v6', 'http://[::1]:8080/mcp', /loopback/],
    ['loopback-name', 'http://localhost:8080/mcp', /loopback/],
    ['unspecified', 'http://0.0.0.0:8080/mcp', /unspecified/],
    ['private', 'http://10.0.0.5/mcp', /private/],
    ['cgnat', 'http://100.64.1.1/mcp', /private/],
    ['alibaba-metadata', 'http://100.100.100.200/latest/meta-data/', /metadata/],
  ])('refuses an http upstream at %s (%s)', async (name, url, why) => {
    await expectRefused(at, httpServer(name, url), /^url refused/, why);
  });

  it('refuses a client_credentials token URL inside the network, naming it', async () => {
    await expectRefused(at, withTokenUrl('cc-meta', 'http://169.254.169.254/token'), /^secrets\.tokenUrl refused/, /link-local/);
    await expectRefused(at, withTokenUrl('cc-loop', 'http://127.0.0.1:9000/token'), /^secrets\.tokenUrl refused/, /loopback/);
  });

  it('accepts public addresses, and checks updates as well, changing nothing on refusal', async () => {
    const created = await api(at, 'POST', '/tenants/acme/servers', withTokenUrl('public', 'https://93.184.216.35/token'));
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const moved = await api(at, 'PATCH', '/tenants/acme/servers/public', { url: 'http://169.254.169.254/' });
    expect(moved.status).toBe(400);
    expect(String(moved.json['error_description'])).toMatch(/^url refused/);
    const secrets = await api(at, 'PATCH', '/tenants/acme/servers/public', { secrets: { tokenUrl: 'http://10.1.1.1/token', clientId: 'gw', clientSecret: 's' } });
    expect(secrets.status).toBe(400);
    expect(String(secrets.json['error_description'])).toMatch(/^secrets\.tokenUrl refused/);
    const stored = await api(at, 'GET', '/tenants/acme/servers/public');
    expect(stored.json['url']).toBe('https://93.184.216.34/mcp');
  });
});

describe('upstream address policy at registration, with allow-lists', () => {
  let at: Started;
  beforeAll(async () => {
    at = await start({
      // Even allow-listing the loopback and link-local ranges opens neither metadata nor Airlock's own services.
      AIRLOCK_UPSTREAM_ALLOW_CIDRS: '10.1.0.0/16,127.0.0.0/8,169.254.0.0/16',
      AIRLOCK_UPSTREAM_ALLOW_HOSTS: 'localhost:7443',
      SESSION_STORE_URL: 'http://127.0.0.1:7002',
    });
  });
  afterAll(async () => {
    await at?.server.close();
  });

  it('allows private addresses inside an allowed CIDR, and only those', async () => {
    expect((await api(at, 'POST', '/tenants/acme/servers', httpServer('corp', 'http://10.1.2.3:8080/mcp'))).status).toBe(201);
    await expectRefused(at, httpServer('corp-b', 'http://10.2.0.1/mcp'), /^url refused/, /private/);
    expect((await api(at, 'POST', '/tenants/acme/servers', withTokenUrl('corp-cc', 'http://10.1.9.9/token'))).status).toBe(201);
  });

  it('allows a loopback target by CIDR and by host name', async () => {
    expect((await api(at, 'POST', '/tenants/acme/servers', httpServer('loop', 'http://127.0.0.1:8080/mcp'))).status).toBe(201);
    expect((await api(at, 'POST', '/tenants/acme/servers', httpServer('named', 'http://localhost:7443/mcp'))).status).toBe(201);
  });

  it('refuses metadata, link-local and unspecified addresses whatever the allow-list', async () => {
    await expectRefused(at, httpServer('meta', 'http://169.254.169.254/'), /^url refused/, /never allowed/);
    await expectRefused(at, httpServer('zero', 'http://0.0.0.0:8080/'), /^url refused/, /never allowed/);
    await expectRefused(at, withTokenUrl('cc-meta', 'http://[fd00:ec2::254]/token'), /^secrets\.tokenUrl refused/, /metadata/);
  });

  it("refuses the session store's and the auth server's own URLs even when their addresses are allowed", async () => {
    await expectRefused(at, httpServer('store', 'http://127.0.0.1:7002/'), /^url refused/, /Airlock's own services/);
    await expectRefused(at, httpServer('self', `${at.server.url}/admin/v1`), /^url refused/, /Airlock's own services/);
    const port = new URL(at.server.url).port;
    await expectRefused(at, withTokenUrl('self-cc', `http://localhost:${port}/t/admin/token`), /^secrets\.tokenUrl refused/, /Airlock's own services/);
  });
});
