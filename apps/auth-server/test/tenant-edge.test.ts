import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';

/**
 * Every route family under a tenant slug resolves the tenant the same way (TenantResolver): an existing
 * tenant is served, an unknown or malformed slug is that family's documented 404, and nothing leaks.
 */

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };
const SLUG = `edge-${Date.now().toString(36)}`;

let server: AuthServerHarness;
let adminToken: string;

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** A raw request: fetch would normalise `..` and `%2e%2e` segments away before they reach the server. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Family = 'oauth' | 'page' | 'admin';

interface Route {
  name: string;
  family: Family;
  call: (slug: string) => Promise<Answer>;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

const routes: Route[] = [
  { name: 'OIDC discovery', family: 'oauth', call: (slug) => send('GET', `/t/${slug}/.well-known/openid-configuration`) },
  { name: 'RFC 8414 metadata', family: 'oauth', call: (slug) => send('GET', `/.well-known/oauth-authorization-server/t/${slug}`) },
  { name: 'authorization', family: 'oauth', call: (slug) => send('GET', `/t/${slug}/auth?client_id=nobody&response_type=code`) },
  { name: 'token', family: 'oauth', call: (slug) => send('POST', `/t/${slug}/token`, form, 'grant_type=client_credentials') },
  { name: 'interaction page', family: 'page', call: (slug) => send('GET', `/t/${slug}/interaction/no-such-interaction`) },
  { name: 'account page', family: 'page', call: (slug) => send('GET', `/t/${slug}/account`) },
  { name: 'admin API tenant', family: 'admin', call: (slug) => send('GET', `/admin/v1/tenants/${slug}`, { authorization: `Bearer ${adminToken}` }) },
  { name: 'admin API tenant users', family: 'admin', call: (slug) => send('GET', `/admin/v1/tenants/${slug}/users`, { authorization: `Bearer ${adminToken}` }) },
];

const missing: Array<[label: string, slug: () => string]> = [
  ['unknown', () => 'no-such-tenant-here'],
  ['uppercase', () => SLUG.toUpperCase()],
  ['too long', () => 'a'.repeat(64)],
  ['dot-dot', () => '..'],
  ['encoded dot-dot', () => '%2e%2e'],
  ['NUL byte', () => `${SLUG}%00`],
];

/** The documented "no such tenant" of each family. */
function expectNoTenant(family: Family, answer: Answer): void {
  expect(answer.status).toBe(404);
  if (family === 'page') {
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.body).toContain('There is no such organisation here.');
  } else {
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ error: 'not_found', error_description: 'no such tenant' });
  }
}

function expectNoLeak(answer: Answer): void {
  expect(answer.status).toBeLessThan(500);
  expect(answer.body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+|stack/);
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  await server.createTenant(SLUG);
  const issued = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  adminToken = String(issued.json['access_token']);
});
afterAll(async () => {
  await server?.close();
});

describe('tenant resolution at the edge', () => {
  describe.each(routes)('$name', ({ family, call }) => {
    it('serves an existing tenant', async () => {
      const answer = await call(SLUG);
      expectNoLeak(answer);
      // Served by the tenant: whatever it answers (an OAuth error for a bogus request, an expired
      // interaction page), it is not the "no such tenant" 404.
      expect(answer.status).not.toBe(404);
      if (family === 'admin') expect(answer.status).toBe(200);
    });

    it.each(missing)('answers the family 404 for a slug that is %s', async (_label, slug) => {
      const answer = await call(slug());
      expectNoTenant(family, answer);
      expectNoLeak(answer);
    });
  });
});
