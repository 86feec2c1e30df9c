import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ID_JAG_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_BEARER_GRANT } from '@airlock/contracts';
import { signInAndApprove } from '@airlock/testing';
import { startFixture, startFullStack, TENANT, USER } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';

// Enterprise-Managed Authorization end to end: tenant `idp` is the enterprise IdP. A user signs in there,
// the client exchanges the ID token for an ID-JAG (RFC 8693), redeems it at the `demo` tenant (RFC 7523
// jwt-bearer) and calls an MCP tool through the gateway with the access token: no consent screen at demo.

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };
const IDP_USER = { email: 'ada@idp.example', password: 'correct horse battery staple' };
const REDIRECT = 'http://127.0.0.1:9/callback';

type Json = Record<string, unknown>;

async function post(url: string, form: Record<string, string>, client: { id: string; secret: string }): Promise<{ status: number; json: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams(form),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

describe('ID-JAG through the full stack', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let admin: string;
  let idpIssuer: string;
  let demoIssuer: string;
  let resource: string;
  const agentAtIdp = { id: 'agent', secret: '' };
  const agentAtDemo = { id: 'agent', secret: '' };
  let idToken: string;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const response = await fetch(`${stack.authUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
  }

  async function idJag(scope = 'mcp'): Promise<string> {
    const issued = await post(`${idpIssuer}/token`, { grant_type: EXCHANGE, requested_token_type: ID_JAG_TOKEN_TYPE, subject_token: idToken, subject_token_type: ID_TOKEN_TYPE, audience: demoIssuer, resource, scope }, agentAtIdp);
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json['issued_token_type']).toBe(ID_JAG_TOKEN_TYPE);
    return String(issued.json['access_token']);
  }

  const redeem = (assertion: string, extra: Record<string, string> = {}) => post(`${demoIssuer}/token`, { grant_type: JWT_BEARER_GRANT, assertion, ...extra }, agentAtDemo);

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }]);
    idpIssuer = `${stack.authUrl}/t/idp`;
    demoIssuer = `${stack.authUrl}/t/${TENANT}`;
    resource = stack.serverUrl('web');
    const token = await post(`${stack.authUrl}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
    admin = String(token.json['access_token']);

    // The IdP tenant, its user and the client; the same client id at the resource tenant.
    expect((await api('POST', '/tenants', { slug: 'idp', displayName: 'Enterprise IdP' })).status).toBe(201);
    const idpUser = await api('POST', '/tenants/idp/users', IDP_USER);
    expect(idpUser.status, JSON.stringify(idpUser.json)).toBe(201);
    const atIdp = await api('POST', '/tenants/idp/clients', { client_id: 'agent', client_name: 'Agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token', EXCHANGE] });
    expect(atIdp.status, JSON.stringify(atIdp.json)).toBe(201);
    agentAtIdp.secret = String(atIdp.json['client_secret']);
    const atDemo = await api('POST', `/tenants/${TENANT}/clients`, { client_id: 'agent', client_name: 'Agent', grant_types: [JWT_BEARER_GRANT] });
    expect(atDemo.status, JSON.stringify(atDemo.json)).toBe(201);
    agentAtDemo.secret = String(atDemo.json['client_secret']);

    // Trust both ways: demo redeems idp's ID-JAGs; idp issues them for demo's `web` server only.
    expect((await api('POST', `/tenants/${TENANT}/trusted-issuers`, { issuer: idpIssuer, jwksUri: `${idpIssuer}/jwks` })).status).toBe(201);
    expect((await api('POST', '/tenants/idp/id-jag-audiences', { audience: demoIssuer, resources: [resource], allowedClientIds: ['agent'], scopes: ['mcp'] })).status).toBe(201);

    // ada at the IdP is the demo user at demo (a federated identity, by issuer and subject).
    const { rows } = await stack.db.pg.query<{ tenant: string; user: string }>('SELECT t.id AS tenant, u.id AS user FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.email = $2', [TENANT, USER.email]);
    const provider = await stack.db.pg.query<{ id: string }>("INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, updated_at) VALUES (gen_random_uuid(), $1, 'idp', 'oidc', 'IdP', now()) RETURNING id", [rows[0]!.tenant]);
    await stack.db.pg.query('INSERT INTO federated_identities (id, tenant_id, user_id, provider_id, issuer, subject) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)', [
      rows[0]!.tenant,
      rows[0]!.user,
      provider.rows[0]!.id,
      idpIssuer,
      String(idpUser.json['id']),
    ]);

    // The user signs in at the IdP (real login and consent pages); the client gets an ID token.
    const verifier = randomBytes(32).toString('base64url');
    const authorization = new URL(`${idpIssuer}/auth`);
    authorization.search = new URLSearchParams({
      client_id: 'agent',
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid mcp',
      state: 'st',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await signInAndApprove(authorization, IDP_USER);
    const code = callback.searchParams.get('code');
    expect(code, callback.href).toBeTruthy();
    const tokens = await post(`${idpIssuer}/token`, { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: verifier }, agentAtIdp);
    expect(tokens.status, JSON.stringify(tokens.json)).toBe(200);
    idToken = String(tokens.json['id_token']);
  });
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
  });

  it('IdP tenant → ID-JAG → jwt-bearer at the resource tenant → MCP tool call through the gateway', async () => {
    const assertion = await idJag();
    const redeemed = await redeem(assertion);
    expect(redeemed.status, JSON.stringify(redeemed.json)).toBe(200);
    const accessToken = String(redeemed.json['access_token']);

    const client = new Client({ name: 'id-jag e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    const result = await client.callTool({ name: 'echo', arguments: { text: 'via ID-JAG' } });
    expect(JSON.stringify(result.content)).toContain('via ID-JAG');
    await client.close();

    // The token is bound to `web`: the aggregated endpoint does not take it.
    const elsewhere = await fetch(stack.aggregatedUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    expect(elsewhere.status).toBe(401);

    // Replayed: the same ID-JAG again is refused.
    const replay = await redeem(assertion);
    expect(replay.json).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses scope widening and another resource, at the resource tenant and at the IdP', async () => {
    expect((await redeem(await idJag(), { scope: 'mcp web:admin' })).json['error']).toBe('invalid_scope');
    expect((await redeem(await idJag(), { resource: stack.aggregatedUrl })).json['error']).toBe('invalid_target');
    const wider = await post(`${idpIssuer}/token`, { grant_type: EXCHANGE, requested_token_type: ID_JAG_TOKEN_TYPE, subject_token: idToken, subject_token_type: ID_TOKEN_TYPE, audience: demoIssuer, resource, scope: 'mcp admin' }, agentAtIdp);
    expect(wider.json['error']).toBe('invalid_scope');
    const other = await post(`${idpIssuer}/token`, { grant_type: EXCHANGE, requested_token_type: ID_JAG_TOKEN_TYPE, subject_token: idToken, subject_token_type: ID_TOKEN_TYPE, audience: demoIssuer, resource: stack.aggregatedUrl }, agentAtIdp);
    expect(other.json['error']).toBe('invalid_target');
  });
});
