import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, type AuditEvent } from '@airlock/contracts';
import { ScimTokensRepository } from '../src/scim/scim-tokens.repository.js';
import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { OAuthFlow } from './support/oauth-flow.js';

// SCIM 2.0 over real HTTP, Postgres and Redis, with the request sequences Okta and Entra ID send
// (their documented provisioning flows), then the refusals.

let server: AuthServerHarness;
let token: string;
let otherToken: string;
const audit: AuditEvent[] = [];

type Json = Record<string, unknown> & { Resources?: Array<Record<string, unknown>> };

async function scim(method: string, path: string, body?: unknown, options: { bearer?: string; contentType?: string; tenant?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.bearer ?? token}`, accept: 'application/scim+json' };
  if (body !== undefined || options.raw !== undefined) headers['content-type'] = options.contentType ?? 'application/scim+json';
  const response = await fetch(`${server.url}/scim/v2/t/${options.tenant ?? 'acme'}${path}`, {
    method,
    headers,
    ...(options.raw !== undefined ? { body: options.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : {}) as Json };
}

const patchOp = (...Operations: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });

function expectScimError(response: { status: number; json: Json; headers: Headers }, status: number, scimType?: string) {
  expect(response.status, JSON.stringify(response.json)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  expect(response.json['schemas']).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  expect(response.json['status']).toBe(String(status));
  if (scimType) expect(response.json['scimType']).toBe(scimType);
  else expect(response.json['scimType']).toBeUndefined();
  expect(JSON.stringify(response.json)).not.toMatch(/at \/|node_modules|stack/);
}

async function userRow(id: string) {
  const { rows } = await server.infra.pg.query<{ email: string; disabled_at: Date | null; display_name: string | null }>('SELECT email, disabled_at, display_name FROM users WHERE id = $1', [id]);
  return rows[0];
}

async function membersOf(groupId: string): Promise<string[]> {
  const { rows } = await server.infra.pg.query<{ user_id: string }>('SELECT user_id::text FROM scim_group_members WHERE group_id = $1 ORDER BY user_id', [groupId]);
  return rows.map((row) => row.user_id);
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  server.queues.work<AuditEvent>(Queues.audit, async (job) => {
    audit.push(job.data);
  });
  const acme = await server.createTenant('acme');
  const other = await server.createTenant('other');
  const tokens = new ScimTokensRepository(server.infra.pg);
  token = (await tokens.create(acme)).token;
  otherToken = (await tokens.create(other)).token;
});
afterAll(async () => {
  await server?.close();
});

describe('SCIM: Okta provisioning sequence', () => {
  let userId: string;
  let groupId: string;

  it('checks for the user by userName, creates it, and finds it again', async () => {
    const missing = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "dana@acme.example"')}&startIndex=1&count=100`);
    expect(missing.status).toBe(200);
    expect(missing.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'Dana@acme.example',
      name: { givenName: 'Dana', familyName: 'Scully' },
      emails: [{ primary: true, value: 'Dana@acme.example', type: 'work' }],
      displayName: 'Dana Scully',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: 'ignored-Password-1',
      active: true,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    userId = String(created.json['id']);
    expect(created.headers.get('location')).toBe(`${server.config.publicUrl}/scim/v2/t/acme/Users/${userId}`);
    expect(created.json).toMatchObject({ userName: 'dana@acme.example', externalId: '00u1abcd', displayName: 'Dana Scully', active: true, emails: [{ value: 'dana@acme.example', type: 'work', primary: true }], meta: { resourceType: 'User' } });
    expect(created.json).not.toHaveProperty('password');

    const found = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "DANA@acme.example"')}`);
    expect(found.json['totalResults']).toBe(1);
    expect(found.json.Resources?.[0]?.['id']).toBe(userId);
    expect((await scim('GET', `/Users/${userId}`)).json['userName']).toBe('dana@acme.example');
  });

  it('pushes a group with the user, then changes membership with PATCH', async () => {
    const second = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fox@acme.example', name: { givenName: 'Fox', familyName: 'Mulder' }, active: true });
    expect(second.status).toBe(201);
    const foxId = String(second.json['id']);
    expect(second.json['displayName']).toBe('Fox Mulder');

    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'X-Files', members: [{ value: userId, display: 'dana@acme.example' }] });
    expect(group.status, JSON.stringify(group.json)).toBe(201);
    groupId = String(group.json['id']);
    expect(group.json['members']).toEqual([{ value: userId, display: 'Dana Scully', $ref: `${server.config.publicUrl}/scim/v2/t/acme/Users/${userId}` }]);

    const added = await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: foxId, display: 'fox@acme.example' }] }));
    expect(added.status, JSON.stringify(added.json)).toBe(200);
    expect(await membersOf(groupId)).toEqual([userId, foxId].sort());
    const removed = await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${userId}"]` }));
    expect(removed.status).toBe(200);
    expect(await membersOf(groupId)).toEqual([foxId]);
    const renamed = await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'replace', value: { id: groupId, displayName: 'X-Files (basement)' } }));
    expect(renamed.json['displayName']).toBe('X-Files (basement)');
    expect(await membersOf(groupId)).toEqual([foxId]);

    // The user's groups, as SCIM renders them and as group mappings read them.
    const fox = await scim('GET', `/Users/${foxId}`);
    expect(fox.json['groups']).toEqual([{ value: groupId, display: 'X-Files (basement)', $ref: `${server.config.publicUrl}/scim/v2/t/acme/Groups/${groupId}` }]);
    const inGroup = await scim('GET', `/Users?filter=${encodeURIComponent(`groups[value eq "${groupId}"]`)}`);
    expect(inGroup.json.Resources?.map((user) => user['id'])).toEqual([foxId]);
  });

  it('deactivates with PATCH replace active=false: user disabled, signed out, audited as deprovisioning', async () => {
    const response = await scim('PATCH', `/Users/${userId}`, patchOp({ op: 'replace', value: { active: false } }));
    expect(response.status, JSON.stringify(response.json)).toBe(200);
    expect(response.json['active']).toBe(false);
    expect((await userRow(userId))?.disabled_at).toBeInstanceOf(Date);
    await server.queues.drain(Queues.audit);
    const event = audit.find((e) => e.action === 'scim.user.deprovision' && e.target === userId);
    expect(event?.actor.clientId).toMatch(/^scim-token:/);
    // No session store runs in this test: the revocation is queued, and SCIM is not failed for it.
    expect(event?.details['signedOut']).toMatchObject({ grantsRevoked: 0, sessionStoreUnavailable: true });
    const inactive = await scim('GET', `/Users?filter=${encodeURIComponent('active eq false')}`);
    expect(inactive.json.Resources?.map((user) => user['id'])).toEqual([userId]);
  });

  it('deletes the user and the group', async () => {
    expect((await scim('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect(await userRow(userId)).toBeUndefined();
    expectScimError(await scim('GET', `/Users/${userId}`), 404);
    expect((await scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expectScimError(await scim('GET', `/Groups/${groupId}`), 404);
    await server.queues.drain(Queues.audit);
    expect(audit.filter((e) => e.target === userId).map((e) => e.action)).toEqual(['scim.user.create', 'scim.user.deprovision', 'scim.user.delete']);
  });
});

describe('SCIM: Entra ID provisioning sequence', () => {
  it('creates by externalId match, PATCHes with capitalised ops and string booleans, manages members, deletes', async () => {
    const lookup = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "walter@acme.example"')}`);
    expect(lookup.json['totalResults']).toBe(0);
    const created = await scim(
      'POST',
      '/Users',
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        externalId: 'walter',
        userName: 'walter@acme.example',
        active: true,
        displayName: 'Walter Skinner',
        emails: [{ primary: true, type: 'work', value: 'walter@acme.example' }],
        name: { formatted: 'Walter Skinner', familyName: 'Skinner', givenName: 'Walter' },
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'FBI' },
      },
      { contentType: 'application/json' },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = String(created.json['id']);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "walter"')}`)).json.Resources?.[0]?.['id']).toBe(id);

    const renamed = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'Replace', path: 'displayName', value: 'AD Skinner' }, { op: 'Add', path: 'emails[type eq "work"].value', value: 'walter@acme.example' }));
    expect(renamed.status, JSON.stringify(renamed.json)).toBe(200);
    expect(renamed.json).toMatchObject({ displayName: 'AD Skinner', active: true });

    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], externalId: 'grp-1', displayName: 'Assistant Directors', members: [] });
    expect(group.status).toBe(201);
    const groupId = String(group.json['id']);
    const listed = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "assistant directors"')}`);
    expect(listed.json.Resources).toHaveLength(1);
    expect(listed.json.Resources?.[0]).not.toHaveProperty('members');
    expect((await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'Add', path: 'members', value: [{ value: id }] }))).status).toBe(200);
    expect(await membersOf(groupId)).toEqual([id]);
    const member = await scim('GET', `/Groups?filter=${encodeURIComponent(`id eq "${groupId}" and members[value eq "${id}"]`)}&excludedAttributes=members`);
    expect(member.json['totalResults']).toBe(1);
    expect((await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: id }] }))).status).toBe(200);
    expect(await membersOf(groupId)).toEqual([]);

    const disabled = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
    expect(disabled.status, JSON.stringify(disabled.json)).toBe(200);
    expect(disabled.json['active']).toBe(false);
    const again = await scim('PATCH', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' }));
    expect(again.json['active']).toBe(true);
    expect((await userRow(id))?.disabled_at).toBeNull();
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
  });

  it('pages with startIndex and count', async () => {
    for (const n of [1, 2, 3]) expect((await scim('POST', '/Users', { userName: `page${n}@acme.example` })).status).toBe(201);
    const filter = encodeURIComponent('userName sw "page"');
    const first = await scim('GET', `/Users?filter=${filter}&startIndex=1&count=2`);
    expect(first.json).toMatchObject({ totalResults: 3, startIndex: 1, itemsPerPage: 2 });
    const second = await scim('GET', `/Users?filter=${filter}&startIndex=3&count=2`);
    expect(second.json).toMatchObject({ totalResults: 3, startIndex: 3, itemsPerPage: 1 });
    expect(second.json.Resources?.[0]?.['userName']).toBe('page3@acme.example');
    expect((await scim('GET', `/Users?filter=${filter}&count=0`)).json).toMatchObject({ totalResults: 3, itemsPerPage: 0 });
  });

  it('serves the discovery documents', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.json).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true }, etag: { supported: false }, sort: { supported: false } });
    expect((await scim('GET', '/ResourceTypes')).json.Resources?.map((type) => type['id'])).toEqual(['User', 'Group']);
    expect((await scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).json['name']).toBe('User');
  });
});

describe('SCIM group membership governs token scopes', () => {
  it('a group mapping grants its scope while the provisioning client keeps the user in the group: removal takes effect at the next refresh', async () => {
    const acme = await server.tenant('acme');
    const serverId = randomUUID();
    await server.infra.pg.query(`INSERT INTO upstream_servers (id, tenant_id, name, transport, url, updated_at) VALUES ($1, $2, 'books', 'http', 'https://books.example/mcp', now())`, [serverId, acme.id]);
    await server.infra.pg.query(`INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES (gen_random_uuid(), $1, $2, 'ledger', '{mcp,finance:read}', now())`, [acme.id, serverId]);
    // No provider: a SCIM group counts (as would the same name asserted by any identity provider).
    await server.infra.pg.query(`INSERT INTO group_mappings (id, tenant_id, provider_id, group_name, scopes) VALUES (gen_random_uuid(), $1, NULL, 'mcp-finance', '{finance:read}')`, [acme.id]);
    const person = { email: 'fin@acme.example', password: 'correct horse battery staple' };
    const userId = await server.createUser('acme', person.email, person.password);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'mcp-finance', members: [{ value: userId }] });
    expect(group.status, JSON.stringify(group.json)).toBe(201);
    const groupId = String(group.json['id']);

    const flow = new OAuthFlow(server.url, 'acme', person);
    const client = await flow.register();
    const scopesOf = (json: Record<string, unknown>) => String(decodeJwt(String(json['access_token']))['scope']).split(' ').sort();
    const tokens = await flow.tokens(client, { scope: 'mcp finance:read' });
    expect(scopesOf(tokens)).toEqual(['finance:read', 'mcp']);
    expect(decodeJwt(String(tokens['access_token']))['groups']).toEqual(['mcp-finance']);

    // The provisioning client takes the user out of the group (Okta's and Entra's PATCH remove).
    expect((await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${userId}"]` }))).status).toBe(200);
    const refreshed = await flow.refresh(client, String(tokens['refresh_token']));
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    expect(scopesOf(refreshed.json)).toEqual(['mcp']);
    expect(refreshed.json['scope']).toBe('mcp');
    expect(decodeJwt(String(refreshed.json['access_token']))['groups']).toBeUndefined();

    // Back in the group: the next refresh carries the scope again (the user's grant kept it).
    expect((await scim('PATCH', `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }))).status).toBe(200);
    const again = await flow.refresh(client, String(refreshed.json['refresh_token']));
    expect(scopesOf(again.json)).toEqual(['finance:read', 'mcp']);
  });
});

describe('SCIM refusals', () => {
  it('401 without a token, with a wrong one, and with another tenant\'s token; nothing of the tenant is revealed', async () => {
    for (const bearer of ['', 'scim_wrong', otherToken]) {
      const response = await scim('GET', '/Users', undefined, { bearer });
      expectScimError(response, 401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expectScimError(await scim('GET', '/Users', undefined, { tenant: 'no-such-tenant' }), 401);
    expectScimError(await scim('GET', '/Users', undefined, { tenant: 'admin' }), 401);
    expect((await scim('GET', '/Users', undefined, { bearer: otherToken, tenant: 'other' })).json['totalResults']).toBe(0);
  });

  it('400 invalidFilter for a bad or unsupported filter', async () => {
    for (const filter of ['userName eq', 'userName eq "x" and', 'nickName eq "x"', '(userName eq "x"', 'active gt true', `userName eq "x'; DROP TABLE users; --"  or`]) {
      expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
    }
    expect((await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "x'; DROP TABLE users; --"`)}`)).json['totalResults']).toBe(0);
  });

  it('409 uniqueness for a taken userName (any case) or externalId; nothing written', async () => {
    expect((await scim('POST', '/Users', { userName: 'unique@acme.example', externalId: 'u-1' })).status).toBe(201);
    expectScimError(await scim('POST', '/Users', { userName: 'UNIQUE@acme.example' }), 409, 'uniqueness');
    expectScimError(await scim('POST', '/Users', { userName: 'another@acme.example', externalId: 'u-1' }), 409, 'uniqueness');
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "another@acme.example"')}`)).json['totalResults']).toBe(0);
    expect((await scim('POST', '/Groups', { displayName: 'Dup' })).status).toBe(201);
    expectScimError(await scim('POST', '/Groups', { displayName: 'Dup' }), 409, 'uniqueness');
  });

  it('400 for bad bodies and PATCHes, each with its scimType', async () => {
    const user = await scim('POST', '/Users', { userName: 'target@acme.example' });
    const id = String(user.json['id']);
    expectScimError(await scim('POST', '/Users', { displayName: 'no userName' }), 400, 'invalidValue');
    expectScimError(await scim('POST', '/Users', undefined, { raw: '{"userName": ' }), 400, 'invalidSyntax');
    expectScimError(await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'id', value: 'x' })), 400, 'mutability');
    expectScimError(await scim('PATCH', `/Users/${id}`, patchOp({ op: 'remove' })), 400, 'noTarget');
    expectScimError(await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: 'maybe' })), 400, 'invalidValue');
    expectScimError(await scim('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'emails[type eq', value: 'x' })), 400, 'invalidPath');
    expectScimError(await scim('PATCH', `/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] }), 400, 'invalidValue');
    expect((await userRow(id))?.disabled_at).toBeNull();
    expectScimError(await scim('POST', '/Groups', { displayName: 'G', members: [{ value: '00000000-0000-4000-8000-000000000000' }] }), 400, 'invalidValue');
    expectScimError(await scim('POST', '/Groups', { displayName: 'G', members: [{ value: 'not-an-id' }] }), 400, 'invalidValue');
    expectScimError(await scim('GET', '/Users/not-a-uuid'), 404);
    expectScimError(await scim('GET', '/Nope'), 404);
    expectScimError(await scim('POST', '/Bulk', { Operations: [] }), 501);
    expectScimError(await scim('GET', '/Me'), 501);
    expectScimError(await scim('POST', '/Users', 'x', { contentType: 'text/plain', raw: 'userName=x' }), 415);
  });

  it('keeps tenants apart: one tenant cannot see or change another\'s users', async () => {
    const mine = await scim('POST', '/Users', { userName: 'mine@acme.example' });
    const id = String(mine.json['id']);
    expectScimError(await scim('GET', `/Users/${id}`, undefined, { bearer: otherToken, tenant: 'other' }), 404);
    expectScimError(await scim('DELETE', `/Users/${id}`, undefined, { bearer: otherToken, tenant: 'other' }), 404);
    expectScimError(await scim('POST', '/Groups', { displayName: 'G', members: [{ value: id }] }, { bearer: otherToken, tenant: 'other' }), 400, 'invalidValue');
    expect(await userRow(id)).toBeDefined();
  });
});

describe('SCIM tokens in the admin API', () => {
  it('makes a token shown once, records its use, lists it without the secret, and revokes it', async () => {
    const issued = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' });
    const admin = String(issued.json['access_token']);
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}/admin/v1/tenants/acme/scim-tokens${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> & { items?: Array<Record<string, unknown>> } };
    };
    const created = await api('POST', '', {});
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ baseUrl: `${server.config.publicUrl}/scim/v2/t/acme`, lastUsedAt: null });
    const secret = String(created.json['token']);
    expect(secret).toMatch(/^scim_[\w-]{43}$/);
    const { rows } = await server.infra.pg.query<{ token_hash: string }>('SELECT token_hash FROM scim_tokens WHERE id = $1', [created.json['id']]);
    expect(rows[0]?.token_hash).not.toContain(secret.slice(5));

    expect((await scim('GET', '/Users?count=1', undefined, { bearer: secret })).status).toBe(200);
    const listed = await api('GET', '');
    const entry = listed.json.items?.find((item) => item['id'] === created.json['id']);
    expect(entry?.['lastUsedAt']).toEqual(expect.any(String));
    expect(JSON.stringify(listed.json)).not.toContain(secret);

    expect((await api('DELETE', `/${String(created.json['id'])}`)).status).toBe(204);
    expectScimError(await scim('GET', '/Users', undefined, { bearer: secret }), 401);
    expect((await api('DELETE', `/${String(created.json['id'])}`)).status).toBe(404);
    await server.queues.drain(Queues.audit);
    expect(audit.filter((e) => e.target === created.json['id']).map((e) => `${e.action} ${e.outcome}`)).toEqual(['admin.scim_token.create success', 'admin.scim_token.revoke success', 'admin.scim_token.revoke refused']);
  });
});
