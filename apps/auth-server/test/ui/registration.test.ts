import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startAuthServerHarness, type AuthServerHarness } from '../support/auth-server-harness.js';

describe('dynamic client registration through /reg', () => {
  let h: AuthServerHarness;
  let sent = 0;

  async function reg(body: unknown, slug = 'demo') {
    sent += slug === 'demo' ? 1 : 0;
    const response = await fetch(`${h.url}/t/${slug}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  const client = (redirect_uris: unknown, extra: Record<string, unknown> = {}) => ({ client_name: 'Reg Test', redirect_uris, token_endpoint_auth_method: 'none', ...extra });

  /** A tenant of its own with open registration, so these tests leave the flood budget of `demo` alone. */
  let open: string | undefined;
  async function openTenant(): Promise<string> {
    if (!open) {
      open = `open-${randomUUID().slice(0, 8)}`;
      await h.db.pg.query(`INSERT INTO tenants (id, slug, display_name, registration_policy, updated_at) VALUES (gen_random_uuid(), $1, 'Open', 'open', now())`, [open]);
    }
    return open;
  }

  beforeAll(async () => {
    h = await startAuthServerHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['javascript:alert(1)'],
    ['data:text/html;base64,PHNjcmlwdD4='],
    ['file:///etc/passwd'],
    ['https://app.example.com/cb#fragment'],
    ['https://*.example.com/cb'],
    ['http://app.example.com/cb'],
    ['myapp:/callback'],
  ])('refuses redirect URI %s with invalid_redirect_uri', async (uri) => {
    const response = await reg(client([uri]));
    expect(response.status).toBe(400);
    expect(response.body['error']).toBe('invalid_redirect_uri');
    expect(String(response.body['error_description'])).toMatch(/^redirect_uris\[0\]/);
  });

  it('accepts https, loopback http and (for native apps) reverse-domain private schemes', async () => {
    const web = await reg(client(['https://app.example.com/cb', 'http://127.0.0.1:8080/cb', 'http://localhost/cb']));
    expect(web.status).toBe(201);
    expect(web.body['redirect_uris']).toEqual(['https://app.example.com/cb', 'http://127.0.0.1:8080/cb', 'http://localhost/cb']);
    const native = await reg(client(['com.example.app:/cb', 'http://127.0.0.1/cb'], { application_type: 'native' }));
    expect(native.status).toBe(201);
    expect(native.body['redirect_uris']).toEqual(['com.example.app:/cb', 'http://127.0.0.1/cb']);
  });

  it('refuses oversized metadata with invalid_client_metadata', async () => {
    const response = await reg(client(['https://app.example.com/cb'], { client_name: 'x'.repeat(5000), tos_uri: `https://app.example.com/${'t'.repeat(6000)}` }));
    expect(response.status).toBe(400);
    expect(response.body['error']).toBe('invalid_client_metadata');
  });

  it.each([
    ['client_credentials', { grant_types: ['client_credentials'], response_types: [] }],
    ['token exchange', { grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'] }],
    ['implicit', { grant_types: ['implicit'], response_types: ['token'] }],
    ['password', { grant_types: ['authorization_code', 'password'] }],
    ['an implicit response type', { response_types: ['code', 'token'] }],
    ['a hybrid response type', { response_types: ['code id_token'] }],
  ])('refuses a dynamic client asking for %s with invalid_client_metadata', async (_label, extra) => {
    const slug = await openTenant();
    const response = await reg(client(['https://app.example.com/cb'], extra), slug);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body['error']).toBe('invalid_client_metadata');
    expect(response.body['client_id']).toBeUndefined();
  });

  it('accepts the code flow with refresh tokens, and refuses turning a registered client into a client_credentials one (RFC 7592)', async () => {
    const slug = await openTenant();
    const created = await reg(client(['https://app.example.com/cb'], { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }), slug);
    expect(created.status).toBe(201);
    expect(created.body['grant_types']).toEqual(['authorization_code', 'refresh_token']);
    const update = await fetch(String(created.body['registration_client_uri']), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${String(created.body['registration_access_token'])}` },
      body: JSON.stringify({ ...client(['https://app.example.com/cb']), client_id: created.body['client_id'], grant_types: ['client_credentials'], response_types: [] }),
    });
    const body = (await update.json()) as Record<string, unknown>;
    expect(update.status, JSON.stringify(body)).toBe(400);
    expect(body['error']).toBe('invalid_client_metadata');
  });

  it('refuses registration on a tenant whose policy is off', async () => {
    const slug = `closed-${randomUUID().slice(0, 8)}`;
    await h.db.pg.query(`INSERT INTO tenants (id, slug, display_name, registration_policy, updated_at) VALUES (gen_random_uuid(), $1, 'Closed', 'off', now())`, [slug]);
    const response = await reg(client(['https://app.example.com/cb']), slug);
    expect([403, 404]).toContain(response.status);
    expect(response.body['client_id']).toBeUndefined();
  });

  it('answers a registration flood from one address with 429 and Retry-After', async () => {
    const limit = h.config.registrationLimits.perIp.max;
    const statuses: number[] = [];
    while (sent < limit) statuses.push((await reg(client(['https://app.example.com/cb']))).status);
    expect(statuses.every((s) => s === 201)).toBe(true);
    const flooded = await reg(client(['https://app.example.com/cb']));
    expect(flooded.status).toBe(429);
    expect(flooded.body['error']).toBe('rate_limited');
    expect(Number(flooded.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(flooded.headers.get('cache-control')).toBe('no-store');
  });
});
