import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, Module, Post } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminOpenApiDocument, adminRoutes, adminRouteUrl, defineAdminRoute, UPSTREAM_TEST_CHANNEL, upstreamTestReplyChannel } from '@airlock/contracts';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import { createTestLogger } from '@airlock/testing';
import { guardAdminRouteCoverage, undocumentedAdminRoutes, UndocumentedAdminRouteError } from '../src/admin/admin-route-coverage.js';
import { postForm, startAuthServerHarness, testAuthConfig, type AuthServerHarness } from './support/auth-server-harness.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';
import { DocumentSchemas, openApi31Problems, operationsOf, resolvePointer, type Operation } from './support/openapi-check.js';

type Json = Record<string, unknown>;

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };
const suffix = randomBytes(4).toString('hex');

let server: AuthServerHarness;
let store: SessionStoreStandIn;
let token: string;
let document: Json;
let schemas: DocumentSchemas;

/** A body each route with one accepts (the document must accept it too): the base of the one-field violations. */
const VALID_BODIES: Record<string, Json> = {
  createTenant: { slug: `oa3-${suffix}`, displayName: 'Valid' },
  updateTenant: { displayName: 'Renamed' },
  setRegistrationPolicy: { policy: 'initial_access_token' },
  createInitialAccessToken: { expiresIn: 3600 },
  rotateKeys: {},
  createUser: { email: `valid-${suffix}@example.com`, password: 'correct horse battery' },
  updateUser: { displayName: 'Someone' },
  createClient: { client_name: 'Automation', grant_types: ['client_credentials'] },
  updateClient: { disabled: true },
  createServer: { name: 'wiki', transport: 'http', url: 'https://wiki.example/mcp' },
  updateServer: { enabled: false },
  putTools: { tools: [{ name: 'read', title: 'Read a page' }, { name: 'write' }] },
  setToolScopes: { requiredScopes: ['mcp', 'wiki:write'] },
  putCallPolicy: { cedar: '@id("wiki-readers") permit (principal in Group::"staff", action, resource == Tool::"wiki/read");', defaultEffect: 'deny', recordArguments: true, redactedKeys: ['*token*'] },
  evaluateCallPolicy: { subject: 'someone', groups: ['staff'], clientId: 'some-client', server: 'wiki', tool: 'read', arguments: { page: 'Home' } },
  approveTool: { hash: 'a'.repeat(64) },
  testServer: {},
  revokeSessions: { client: 'some-client' },
  resetUserSignIn: {},
  signOutUser: {},
  createScimToken: {},
  revokeClientGrants: {},
  putRoleAssignment: { role: 'auditor', tenants: 'all' },
  createAdminUser: { email: `admin-${suffix}@example.com`, password: 'correct horse battery' },
  updateAdminUser: { disabled: true },
  enrollAdminTotp: {},
  createAdminClient: { client_name: 'Automation' },
  updateAdminClient: { disabled: true },
  createTrustedIssuer: { issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks' },
  updateTrustedIssuer: { enabled: false },
  createIdJagAudience: { audience: 'https://as.example/t/other', scopes: ['mcp'] },
  updateIdJagAudience: { enabled: false },
  putPreApproval: { scopes: ['mcp'] },
  createIdentityProvider: { slug: 'corp', kind: 'oidc', displayName: 'Corp SSO', emailDomains: ['corp.example'], config: { issuer: 'https://idp.example', clientId: 'airlock' }, clientSecret: 'idp-client-secret' },
  updateIdentityProvider: { enabled: false },
  createGroupMapping: { groupName: 'mcp-finance', scopes: ['finance:read'] },
  updateGroupMapping: { scopes: ['finance:write'] },
};

function validBody(operationId: string): Json {
  const body = VALID_BODIES[operationId];
  if (!body) throw new Error(`no valid sample body for ${operationId}: add one to VALID_BODIES`);
  return body;
}

/** Values that a field of one JSON type or another refuses; the document decides which one a field refuses. */
const WRONG_VALUES: unknown[] = [12345.5, 'not of this type', true, { unexpected: true }, null, []];

/** Values for every path parameter the document uses: resources that exist (created in beforeAll). */
const pathValues: Record<string, string> = {};

function operation(operationId: string): Operation {
  const found = operationsOf(document).find((candidate) => candidate.operation['operationId'] === operationId);
  if (!found) throw new Error(`no operation ${operationId} in the document`);
  return found;
}

function urlOf({ path }: Operation, params: Record<string, string>): string {
  return `${server.url}${path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no sample value for the path parameter ${name}: add one to pathValues`);
    return encodeURIComponent(value);
  })}`;
}

async function send(target: Operation, params: Record<string, string>, body?: unknown, bearer: string | null = token) {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(urlOf(target, params), { method: target.method.toUpperCase(), headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : undefined) as Json | undefined };
}

/** Fails unless the answer's status is documented for the operation and its body matches that response's schema. */
function expectDocumented(target: Operation, answer: { status: number; json: Json | undefined }): void {
  const where = `${String(target.operation['operationId'])} answered ${answer.status} ${JSON.stringify(answer.json)}`;
  const response = (target.operation['responses'] as Record<string, Json>)[String(answer.status)];
  expect(response, `${where}: status not documented`).toBeDefined();
  const schema = (response?.['content'] as Record<string, { schema: Json }> | undefined)?.['application/json']?.schema;
  if (!schema) {
    expect(answer.json, `${where}: documented without a body`).toBeUndefined();
    return;
  }
  const validate = schemas.compile(schema);
  expect(validate(answer.json), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

/** Calls an operation as the document describes it and checks the answer against the document. */
async function call(operationId: string, params: Record<string, string>, body?: unknown) {
  const target = operation(operationId);
  const answer = await send(target, params, body);
  expectDocumented(target, answer);
  return answer;
}

/** The body schema of an operation, `$ref` resolved. */
function bodySchemaOf(target: Operation): Json | undefined {
  const body = target.operation['requestBody'] as { content?: Record<string, { schema?: Json }> } | undefined;
  const schema = body?.content?.['application/json']?.schema;
  if (!schema) return undefined;
  return typeof schema['$ref'] === 'string' ? (resolvePointer(document, schema['$ref']) as Json) : schema;
}

/** A body the schema refuses, derived from the schema alone (so a new route gets one without a test change). */
function violationOf(schema: Json): unknown {
  if (schema['additionalProperties'] === false) return { not_a_documented_field: true };
  if (schema['type'] === 'object' && Array.isArray(schema['required']) && schema['required'].length > 0) return {};
  if (schema['type'] === 'object') return 'not an object';
  throw new Error(`cannot derive a body this schema refuses: ${JSON.stringify(schema)}`);
}

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  server = await startAuthServerHarness({ SESSION_STORE_URL: store.url });
  store.useIssuer(server.url, server.hot);
  const issued = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  token = String(issued.json['access_token']);
  const served = await fetch(`${server.url}/admin/v1/openapi.json`);
  document = (await served.json()) as Json;
  schemas = new DocumentSchemas(document);

  // One of every resource a path can name, for the requests below.
  const tenant = `oa-${suffix}`;
  const api = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as Json;
    expect(response.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  };
  await api('POST', '/tenants', { slug: tenant, displayName: 'OpenAPI' });
  const user = await api('POST', `/tenants/${tenant}/users`, { email: `oa-${suffix}@example.com`, password: 'correct horse battery' });
  const client = await api('POST', `/tenants/${tenant}/clients`, { client_name: 'OpenAPI', grant_types: ['client_credentials'] });
  await api('POST', `/tenants/${tenant}/servers`, { name: 'docs', transport: 'http', url: 'https://docs.example/mcp' });
  await api('PUT', `/tenants/${tenant}/servers/docs/tools`, { tools: [{ name: 'search' }] });
  Object.assign(pathValues, { tenant, provider: 'no-such-provider', id: String(user['id']), clientId: String(client['client_id']), name: 'docs', tool: 'search', sessionId: 'no-such-session-0123456789', grantId: 'no-such-grant', principalType: 'users', principalId: String(user['id']) });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

describe('the admin API OpenAPI document', () => {
  it('is served at GET /admin/v1/openapi.json without a token, as OpenAPI 3.1 with the OAuth client credentials scheme', async () => {
    const response = await fetch(`${server.url}/admin/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const served = (await response.json()) as Json;
    expect(served['openapi']).toBe('3.1.0');
    expect(served['servers']).toEqual([{ url: server.url }]);
    const security = (served['components'] as Json)['securitySchemes'] as Record<string, Json>;
    expect(security['adminClientCredentials']).toMatchObject({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${server.url}/t/admin/token`, scopes: { admin: expect.any(String) } } } });
    expect(served['security']).toContainEqual({ adminClientCredentials: ['admin'] });
    // The one error shape, with every code the API answers.
    const error = ((served['components'] as Json)['schemas'] as Record<string, Json>)['AdminError'];
    expect(error).toMatchObject({ required: ['error', 'error_description'] });
    expect((error?.['properties'] as Record<string, Json>)['error']?.['enum']).toEqual(
      expect.arrayContaining(['invalid_request', 'invalid_token', 'insufficient_scope', 'not_found', 'conflict', 'invalid_redirect_uri', 'invalid_client_metadata']),
    );
  });

  it('is valid: 3.1 structure, every $ref resolves, every path parameter declared, every schema JSON Schema 2020-12', () => {
    expect(openApi31Problems(document)).toEqual([]);
    // The checker is not blind: it finds what breaks a document.
    const broken = structuredClone(document);
    const paths = broken['paths'] as Record<string, Record<string, Json>>;
    const getTenant = paths['/admin/v1/tenants/{tenant}']?.['get'];
    if (!getTenant) throw new Error('no GET /admin/v1/tenants/{tenant}');
    getTenant['parameters'] = [];
    (getTenant['responses'] as Record<string, Json>)['200'] = { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } };
    broken['openapi'] = '3.0.3';
    expect(openApi31Problems(broken)).toEqual(
      expect.arrayContaining(['openapi is 3.0.3, not 3.1.0', '$ref #/components/schemas/Nope does not resolve', 'GET /admin/v1/tenants/{tenant}: path parameter tenant is not declared']),
    );
  }, 120_000); // Validates every schema of the document: ~28 s alone on a loaded 2-core machine.

  it('describes every admin route the server registered, each one that takes a body with its schema', () => {
    const registered = server.app.registeredAdminRoutes().filter((route) => route.method !== 'HEAD');
    expect(registered.map((route) => `${route.method} ${route.url}`)).toEqual(expect.arrayContaining(['POST /admin/v1/tenants', 'GET /admin/v1/openapi.json']));
    const documented = operationsOf(document).map(({ method, path }) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
    // Both ways: nothing routed is undocumented, nothing documented is unrouted.
    expect(registered.map((route) => `${route.method} ${route.url}`).sort()).toEqual(documented.sort());
    for (const target of operationsOf(document)) {
      if (!['post', 'put', 'patch'].includes(target.method)) continue;
      expect(bodySchemaOf(target), `${target.method.toUpperCase()} ${target.path} takes a body but documents no schema`).toBeDefined();
    }
    // The table the server routes from is the table the document comes from.
    expect(Object.values(adminRoutes).map((route) => `${route.method} ${adminRouteUrl(route)}`).sort()).toEqual(documented.sort());
  });

  it('rejects a body that violates its documented schema with 400 invalid_request, on every route that takes a body', async () => {
    const withBody = operationsOf(document).filter((target) => bodySchemaOf(target));
    expect(withBody.length).toBeGreaterThanOrEqual(13);
    for (const target of withBody) {
      const schema = bodySchemaOf(target) ?? {};
      const body = violationOf(schema);
      const where = `${target.method.toUpperCase()} ${target.path} with ${JSON.stringify(body)}`;
      // The document itself says this body is wrong...
      expect(schemas.compile(schema)(body), `${where}: the document accepts it`).toBe(false);
      // ...and the API refuses it, in the documented shape.
      const answer = await send(target, pathValues, body);
      expect(answer.status, `${where}: ${JSON.stringify(answer.json)}`).toBe(400);
      expect(answer.json?.['error'], where).toBe('invalid_request');
      expectDocumented(target, answer);
    }
  });

  it('enforces every documented field of every body: a valid body with one field of a type the document refuses is 400', async () => {
    let refused = 0;
    for (const target of operationsOf(document).filter((candidate) => bodySchemaOf(candidate))) {
      const operationId = String(target.operation['operationId']);
      const schema = bodySchemaOf(target) ?? {};
      const validate = schemas.compile(schema);
      const valid = validBody(operationId);
      expect(validate(valid), `${operationId}: the document refuses the valid sample ${JSON.stringify(valid)}: ${JSON.stringify(validate.errors)}`).toBe(true);
      for (const field of Object.keys((schema['properties'] as Json | undefined) ?? {})) {
        const body = WRONG_VALUES.map((value) => ({ ...valid, [field]: value })).find((candidate) => !validate(candidate));
        if (!body) continue;
        const answer = await send(target, pathValues, body);
        expect(answer.status, `${operationId} with ${JSON.stringify(body)}: ${JSON.stringify(answer.json)}`).toBe(400);
        expect(answer.json?.['error']).toBe('invalid_request');
        expect(String(answer.json?.['error_description']), `${operationId}: the refusal names the field`).toContain(field);
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(30);
  });

  it('enforces the documented bounds of every query parameter with 400 invalid_request', async () => {
    let refused = 0;
    for (const target of operationsOf(document)) {
      const parameters = ((target.operation['parameters'] as Json[] | undefined) ?? []).filter((parameter) => parameter['in'] === 'query');
      for (const parameter of parameters) {
        const schema = parameter['schema'] as Json;
        const outside = [
          typeof schema['maximum'] === 'number' ? String(schema['maximum'] + 1) : undefined,
          typeof schema['minimum'] === 'number' ? String(schema['minimum'] - 1) : undefined,
          typeof schema['maxLength'] === 'number' ? 'x'.repeat(schema['maxLength'] + 1) : undefined,
        ].filter((value): value is string => value !== undefined);
        for (const value of outside) {
          const url = `${urlOf(target, pathValues)}?${new URLSearchParams({ [String(parameter['name'])]: value })}`;
          const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          const answer = { status: response.status, json: (await response.json()) as Json };
          expect(answer.status, `${target.path}?${String(parameter['name'])}=${value.slice(0, 20)}`).toBe(400);
          expect(answer.json['error']).toBe('invalid_request');
          expectDocumented(target, answer);
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThanOrEqual(12);
  });

  it('answers every route as documented: success statuses and bodies, refusals in the error shape', async () => {
    const called = new Set<string>();
    const ok = async (operationId: string, params: Record<string, string>, body?: unknown) => {
      const answer = await call(operationId, params, body);
      expect(answer.status, `${operationId}: ${JSON.stringify(answer.json)}`).toBeLessThan(300);
      called.add(operationId);
      return answer.json ?? {};
    };
    const tenant = `oa2-${suffix}`;
    const t = { tenant };

    await ok('getOpenApiDocument', {});
    expect(await ok('getMe', {})).toMatchObject({ role: 'platform-admin', tenants: 'all', breakGlass: true });
    await ok('createTenant', {}, { ...validBody('createTenant'), slug: tenant });
    await ok('listTenants', {});
    await ok('getTenant', t);
    await ok('updateTenant', t, validBody('updateTenant'));
    await ok('setRegistrationPolicy', t, validBody('setRegistrationPolicy'));
    await ok('createInitialAccessToken', t, validBody('createInitialAccessToken'));
    await ok('listKeys', t);
    await ok('rotateKeys', t, validBody('rotateKeys'));
    const user = await ok('createUser', t, { ...validBody('createUser'), email: `lifecycle-${suffix}@example.com` });
    const u = { ...t, id: String(user['id']) };
    await ok('listUsers', t);
    await ok('getUser', u);
    await ok('updateUser', u, validBody('updateUser'));
    await ok('listUserGrants', u);
    await ok('signOutUser', u, validBody('signOutUser'));
    await ok('resetUserSignIn', u, validBody('resetUserSignIn'));
    expect((await call('revokeUserGrant', { ...u, grantId: 'no-such-grant' })).status).toBe(404);
    called.add('revokeUserGrant');
    const client = await ok('createClient', t, validBody('createClient'));
    expect(client['client_secret']).toEqual(expect.any(String));
    const c = { ...t, clientId: String(client['client_id']) };
    await ok('listClients', t);
    const shown = await ok('getClient', c);
    expect(shown['client_secret']).toBeUndefined();
    await ok('updateClient', c, validBody('updateClient'));
    await ok('listClientGrants', c);
    await ok('revokeClientGrants', c, validBody('revokeClientGrants'));
    await ok('createServer', t, validBody('createServer'));
    const s = { ...t, name: 'wiki' };
    await ok('listServers', t);
    await ok('putTools', s, validBody('putTools'));
    await ok('setToolScopes', { ...s, tool: 'write' }, validBody('setToolScopes'));
    expect(await ok('listToolChanges', s)).toEqual({ items: [] });
    // No gateway has seen a definition of the tool: there is nothing with this hash to approve.
    const approval = await call('approveTool', { ...s, tool: 'write' }, validBody('approveTool'));
    expect(approval.status).toBe(409);
    expectDocumented(operation('approveTool'), approval);
    called.add('approveTool');
    await ok('getServer', s);
    // No gateway runs here: a stand-in replica answers the connection test on the hot store as one would.
    const stopReplica = await server.hot.subscribe(UPSTREAM_TEST_CHANNEL, (message) => {
      const request = JSON.parse(message) as { id: string; server: string };
      const result = { ok: false, server: request.server, transport: 'http', stage: 'connect', error: { code: 'unreachable', message: 'nothing answered' }, timings: { totalMs: 1 }, protocolVersion: null, serverInfo: null, tools: null, testedAt: new Date().toISOString(), replica: 'stand-in' };
      void server.hot.publish(upstreamTestReplyChannel(request.id), JSON.stringify(result));
    });
    expect(await ok('testServer', s, validBody('testServer'))).toMatchObject({ ok: false, stage: 'connect', replica: 'stand-in' });
    await stopReplica();
    await ok('updateServer', s, validBody('updateServer'));
    expect(await ok('getCallPolicy', t)).toMatchObject({ version: 0, defaultEffect: 'allow', cedar: '' });
    expect(await ok('putCallPolicy', t, validBody('putCallPolicy'))).toMatchObject({ version: 1, defaultEffect: 'deny', rules: ['wiki-readers'], recordArguments: true });
    // A policy Cedar refuses: 400 with Cedar's diagnostics, and nothing stored.
    const invalid = await call('putCallPolicy', t, { cedar: '@id("typo") permit (principal, action, resource) when { principal.scope.contains("a") };', defaultEffect: 'deny' });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ error: 'invalid_request', diagnostics: [{ rule: 'typo', line: 1, help: expect.stringContaining('scopes') }] });
    expect(await ok('getCallPolicy', t)).toMatchObject({ version: 1, rules: ['wiki-readers'] });
    expect((await call('putCallPolicy', t, { ...validBody('putCallPolicy'), expectedVersion: 0 })).status).toBe(409);
    expect(await ok('evaluateCallPolicy', t, validBody('evaluateCallPolicy'))).toEqual({ allowed: true, rule: 'wiki-readers', message: null, version: 1 });
    expect(await ok('evaluateCallPolicy', t, { ...validBody('evaluateCallPolicy'), tool: 'write' })).toEqual({ allowed: false, rule: null, message: 'no rule allowed this call (tenant default: deny)', version: 1 });
    await ok('listSessions', t);
    await ok('revokeSessions', t, validBody('revokeSessions'));
    const now = new Date().toISOString();
    const sessionId = `oa-session-${suffix}-0123456789abcdef`;
    store.sessions.set(sessionId, { id: sessionId, tenant, tenantSlug: tenant, kind: 'mcp', subject: 'someone', clientId: 'some-client', upstreams: [], createdAt: now, lastSeenAt: now, idleTimeoutSeconds: 60, expiresAt: now, state: 'active' });
    await ok('revokeSession', { ...t, sessionId });
    await ok('listLoginSessions', t);
    expect((await call('revokeLoginSession', { ...t, sessionId })).status).toBe(404);
    called.add('revokeLoginSession');
    await ok('listAudit', t);
    await ok('listPlatformAudit', {});
    await ok('getToolCallMetrics', {});
    const issuer = await ok('createTrustedIssuer', t, validBody('createTrustedIssuer'));
    await ok('listTrustedIssuers', t);
    await ok('updateTrustedIssuer', { ...t, id: String(issuer['id']) }, validBody('updateTrustedIssuer'));
    await ok('deleteTrustedIssuer', { ...t, id: String(issuer['id']) });
    const audience = await ok('createIdJagAudience', t, validBody('createIdJagAudience'));
    await ok('listIdJagAudiences', t);
    await ok('updateIdJagAudience', { ...t, id: String(audience['id']) }, validBody('updateIdJagAudience'));
    await ok('deleteIdJagAudience', { ...t, id: String(audience['id']) });
    await ok('putPreApproval', c, validBody('putPreApproval'));
    await ok('listPreApprovals', t);
    await ok('deletePreApproval', c);
    const provider = await ok('createIdentityProvider', t, validBody('createIdentityProvider'));
    expect(JSON.stringify(provider)).not.toContain('idp-client-secret');
    const ip = { ...t, provider: String(provider['slug']) };
    await ok('listIdentityProviders', t);
    await ok('getIdentityProvider', ip);
    await ok('updateIdentityProvider', ip, validBody('updateIdentityProvider'));
    const mapping = await ok('createGroupMapping', t, { ...validBody('createGroupMapping'), providerId: String(provider['id']) });
    await ok('listGroupMappings', t);
    await ok('updateGroupMapping', { ...t, id: String(mapping['id']) }, validBody('updateGroupMapping'));
    await ok('deleteGroupMapping', { ...t, id: String(mapping['id']) });
    await ok('deleteIdentityProvider', ip);
    const scimToken = await ok('createScimToken', t, validBody('createScimToken'));
    expect(scimToken['token']).toEqual(expect.any(String));
    await ok('listScimTokens', t);
    await ok('revokeScimToken', { ...t, id: String(scimToken['id']) });
    await ok('deleteServer', s);
    await ok('deleteClient', c);
    await ok('deleteUser', u);
    await ok('deleteTenant', t);
    const person = await ok('createAdminUser', {}, validBody('createAdminUser'));
    const p = { id: String(person['id']), principalType: 'users', principalId: String(person['id']) };
    await ok('enrollAdminTotp', p, validBody('enrollAdminTotp'));
    await ok('putRoleAssignment', p, validBody('putRoleAssignment'));
    await ok('listRoleAssignments', {});
    await ok('listAdminUsers', {});
    await ok('updateAdminUser', p, validBody('updateAdminUser'));
    await ok('deleteRoleAssignment', p);
    const automation = await ok('createAdminClient', {}, validBody('createAdminClient'));
    expect(automation['client_secret']).toEqual(expect.any(String));
    await ok('updateAdminClient', { clientId: String(automation['client_id']) }, validBody('updateAdminClient'));

    const every = operationsOf(document).map((target) => String(target.operation['operationId']));
    expect(every.filter((id) => !called.has(id)), 'operations this test does not call yet').toEqual([]);

    // Refusals are documented too, in the one shape.
    expect((await call('getTenant', t)).status).toBe(404);
    expect((await call('createTenant', {}, { slug: pathValues['tenant'], displayName: 'Again' })).status).toBe(409);
    const anonymous = await send(operation('listTenants'), {}, undefined, null);
    expect(anonymous.status).toBe(401);
    expectDocumented(operation('listTenants'), anonymous);
  });
});

describe('a route without a schema fails the start', () => {
  @Controller('admin/v1')
  class ThrowawayController {
    @Post('frobnicate')
    frobnicate() {
      return {};
    }
  }
  @Module({ controllers: [ThrowawayController] })
  class ThrowawayModule {}

  const frobnicate = defineAdminRoute({ operationId: 'frobnicate', method: 'POST', path: '/frobnicate', tag: 'test', summary: 'Frobnicate', body: z.object({ level: z.number() }).strict(), status: 201, response: z.object({}) });

  /** A Nest app on Fastify with the throwaway route (and a raw Fastify one), guarded against `table`. */
  async function startWith(table: Parameters<typeof guardAdminRouteCoverage>[1], rawRoute?: string) {
    const app = await createHttpApp(ThrowawayModule, { name: 'throwaway', http: testAuthConfig().http, logger: createTestLogger(), readiness: [] });
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    guardAdminRouteCoverage(fastify, table);
    if (rawRoute) fastify.get(rawRoute, async () => ({}));
    try {
      await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
    } finally {
      await closeHttpApp(app, { graceMs: 0 }).catch(() => undefined);
    }
  }

  it('a Nest route under /admin/ with no entry in the route table stops the server before it listens', async () => {
    const started = startWith(Object.values(adminRoutes));
    await expect(started).rejects.toBeInstanceOf(UndocumentedAdminRouteError);
    await expect(startWith(Object.values(adminRoutes))).rejects.toThrow('POST /admin/v1/frobnicate');
  });

  it('so does a raw Fastify route under /admin/', async () => {
    await expect(startWith([...Object.values(adminRoutes), frobnicate], '/admin/v1/raw')).rejects.toThrow('GET /admin/v1/raw');
  });

  it('the same route with its entry starts, and the document then describes it with its body schema', async () => {
    await expect(startWith([...Object.values(adminRoutes), frobnicate])).resolves.toBeUndefined();
    const withIt = adminOpenApiDocument({ serverUrl: 'https://auth.example', tokenUrl: 'https://auth.example/t/admin/token', routes: { ...adminRoutes, frobnicate } });
    const post = withIt.paths['/admin/v1/frobnicate']?.['post'];
    expect(post?.['requestBody']).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/FrobnicateRequest' } } } });
    expect(withIt.components.schemas['FrobnicateRequest']).toMatchObject({ type: 'object', required: ['level'], additionalProperties: false });
    expect(openApi31Problems(withIt as unknown as Json)).toEqual([]);
  });

  it('the check itself: HEAD beside a documented GET is that GET; anything else undocumented is named', () => {
    const table = Object.values(adminRoutes);
    expect(undocumentedAdminRoutes([{ method: 'GET', url: '/admin/v1/tenants' }, { method: 'HEAD', url: '/admin/v1/tenants' }, { method: 'GET', url: '/t/:tenant/token' }], table)).toEqual([]);
    expect(undocumentedAdminRoutes([{ method: 'DELETE', url: '/admin/v1/tenants' }, { method: 'GET', url: '/admin/v2/tenants' }], table)).toEqual(['DELETE /admin/v1/tenants', 'GET /admin/v2/tenants']);
  });
});
