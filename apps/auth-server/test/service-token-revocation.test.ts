import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeJwt } from 'jose';
import { aggregatedMcpUrl, Queues, type ClientRevokedEvent } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

let server: AuthServerHarness;
let adminToken: string;
const clientJobs: ClientRevokedEvent[] = [];

async function api(method: string, path: string, options: { body?: unknown; raw?: string; contentType?: string; bearer?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.bearer ?? adminToken}` };
  const body = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function newAdminToken(): Promise<string> {
  const issued = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  return String(issued.json['access_token']);
}

/** The gateway service client may introspect any token of its tenant (a confidential resource server). */
const gateway = (tenant: string) => ({ id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, tenant) });

async function introspect(tenant: string, token: string, caller: { id: string; secret: string }): Promise<Record<string, unknown>> {
  const answer = await postForm(`${server.url}/t/${tenant}/token/introspection`, { token }, caller);
  expect(answer.status).toBe(200);
  return answer.json;
}

/** A confidential client_credentials client of `demo`, created over the admin API. */
async function serviceClient(): Promise<{ id: string; secret: string }> {
  const created = await api('POST', '/tenants/demo/clients', { body: { client_name: 'robot', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' } });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return { id: String(created.json['client_id']), secret: String(created.json['client_secret']) };
}

const mcpResource = () => aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo');

async function mcpToken(client: { id: string; secret: string }) {
  return postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials', resource: mcpResource() }, client);
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  server.queues.work<unknown>(Queues.sessions, async (job) => {
    if (job.name === 'client.revoked') clientJobs.push(job.data as ClientRevokedEvent);
  });
  adminToken = await newAdminToken();
});
afterAll(async () => {
  await server?.close();
});

describe('revoking an admin (client_credentials) token', () => {
  it('the admin API refuses it with 401 invalid_token and introspection says inactive, at once', async () => {
    const doomed = await newAdminToken();
    expect(decodeJwt(doomed)['grant_id']).toMatch(/^cc\./);
    expect((await api('GET', '/tenants', { bearer: doomed })).status).toBe(200);
    expect((await introspect('admin', doomed, ADMIN))['active']).toBe(true);

    const revoked = await postForm(`${server.url}/t/admin/token/revocation`, { token: doomed }, ADMIN);
    expect(revoked.status).toBe(200);

    await vi.waitFor(
      async () => {
        const refused = await api('GET', '/tenants', { bearer: doomed });
        expect(refused.status).toBe(401);
        expect(refused.json['error']).toBe('invalid_token');
        expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      },
      { timeout: 1_000, interval: 20 },
    );
    expect((await introspect('admin', doomed, ADMIN))['active']).toBe(false);
    // Only that token: another of the same client still works.
    expect((await api('GET', '/tenants')).status).toBe(200);
  });
});

describe('client_credentials tokens for an MCP endpoint', () => {
  it('carry the mcp scope and a grant id of their own', async () => {
    const client = await serviceClient();
    const issued = await mcpToken(client);
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json['scope']).toBe('mcp');
    const claims = decodeJwt(String(issued.json['access_token']));
    expect(claims['scope']).toBe('mcp');
    expect(claims['grant_id']).toBe(`cc.${String(claims.jti)}`);
    // Without `resource`: the tenant's default resource, its aggregated MCP endpoint, with `mcp` too.
    const implicit = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials' }, client);
    expect(implicit.status, JSON.stringify(implicit.json)).toBe(200);
    expect(decodeJwt(String(implicit.json['access_token']))).toMatchObject({ aud: mcpResource(), scope: 'mcp' });
    // An explicit scope is kept as asked.
    const asked = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials', resource: mcpResource(), scope: 'mcp' }, client);
    expect(asked.json['scope']).toBe('mcp');
  });

  it('deleting the client revokes its tokens (introspection inactive, epoch published, sessions job queued)', async () => {
    const client = await serviceClient();
    const token = String((await mcpToken(client)).json['access_token']);
    expect((await introspect('demo', token, gateway('demo')))['active']).toBe(true);

    expect((await api('DELETE', `/tenants/demo/clients/${client.id}`)).status).toBe(204);

    expect((await introspect('demo', token, gateway('demo')))['active']).toBe(false);
    await server.queues.drain(Queues.sessions);
    expect(clientJobs.find((job) => job.clientId === client.id)).toMatchObject({ tenant: 'demo', reason: 'client_deleted' });
    expect((await mcpToken(client)).json['error']).toBe('invalid_client');
  });

  it('disabling the client revokes its tokens and refuses it new ones; enabling it lets it get tokens again', async () => {
    const client = await serviceClient();
    const token = String((await mcpToken(client)).json['access_token']);

    const disabled = await api('PATCH', `/tenants/demo/clients/${client.id}`, { body: { disabled: true } });
    expect(disabled.status, JSON.stringify(disabled.json)).toBe(200);
    expect(disabled.json['disabled']).toBe(true);
    expect((await api('GET', `/tenants/demo/clients/${client.id}`)).json['disabled']).toBe(true);

    expect((await introspect('demo', token, gateway('demo')))['active']).toBe(false);
    const refused = await mcpToken(client);
    expect(refused.status).toBe(401);
    expect(refused.json['error']).toBe('invalid_client');

    expect((await api('PATCH', `/tenants/demo/clients/${client.id}`, { body: { disabled: false } })).json['disabled']).toBe(false);
    // Tokens issued in the same second as the revocation are still refused (iat <= epoch): wait for one that is not.
    await vi.waitFor(
      async () => {
        const again = await mcpToken(client);
        expect(again.status).toBe(200);
        expect((await introspect('demo', String(again.json['access_token']), gateway('demo')))['active']).toBe(true);
      },
      { timeout: 3_000, interval: 100 },
    );
    expect((await api('PATCH', `/tenants/demo/clients/nobody`, { body: { disabled: true } })).status).toBe(404);
    expect((await api('PATCH', `/tenants/demo/clients/${client.id}`, { body: { disabled: 'yes' } })).json['error']).toBe('invalid_request');
  });
});

describe('admin API request errors use the documented { error, error_description } shape', () => {
  it('answers a junk cursor with 400 invalid_request', async () => {
    for (const cursor of ['%%%', '%25%25%25', 'bm90LWEtY3Vyc29y-', Buffer.from([0xff, 0xfe, 0x00]).toString('base64url'), '!!!']) {
      for (const path of ['/tenants', '/tenants/demo/clients', '/tenants/demo/users', '/tenants/demo/servers']) {
        const answer = await api('GET', `${path}?cursor=${cursor}`);
        expect(answer.status, `${path} ${cursor}`).toBe(400);
        expect(answer.json['error']).toBe('invalid_request');
        expect(typeof answer.json['error_description']).toBe('string');
      }
    }
    // A cursor the API handed out still works.
    const first = await api('GET', '/tenants/demo/clients?limit=1');
    if (typeof first.json['nextCursor'] === 'string') expect((await api('GET', `/tenants/demo/clients?limit=1&cursor=${first.json['nextCursor']}`)).status).toBe(200);
  });

  it('answers malformed JSON, a wrong content type and a too-large body with 400/415/413 invalid_request', async () => {
    const malformed = await api('POST', '/tenants', { raw: '{"slug": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({ error: 'invalid_request', error_description: expect.any(String) });

    const wrongType = await api('POST', '/tenants', { raw: '<slug/>', contentType: 'application/xml' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json).toEqual({ error: 'invalid_request', error_description: expect.any(String) });

    const huge = await api('POST', '/tenants', { raw: JSON.stringify({ slug: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect(huge.json).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });
});
