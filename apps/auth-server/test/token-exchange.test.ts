import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { aggregatedMcpUrl, serverMcpUrl } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { OAuthFlow, type RegisteredClient } from './support/oauth-flow.js';

// RFC 8693: the gateway trades a user's token for the gateway for a token bound to one upstream.

const USER = { email: 'erin@example.com', password: 'correct horse battery staple' };
const UPSTREAM = 'https://upstream.example/mcp';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

let server: AuthServerHarness;
let demo: OAuthFlow;
let client: RegisteredClient;
let userToken: string;

const gateway = (tenant = 'demo') => ({ id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, tenant) });

function exchange(form: Record<string, string | string[]>, auth: { id: string; secret: string } = gateway(), tenant = 'demo') {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries({ grant_type: GRANT, subject_token_type: ACCESS_TOKEN_TYPE, ...form })) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
  }
  return fetch(`${server.url}/t/${tenant}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`,
    },
    body,
  }).then(async (response) => ({ status: response.status, json: (await response.json()) as Record<string, unknown> }));
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  await server.createTenant('other');
  await server.createUser('demo', USER.email, USER.password);
  const { rows } = await server.infra.pg.query<{ id: string }>("SELECT id FROM tenants WHERE slug = 'demo'");
  const tenantId = rows[0]!.id;
  await server.infra.pg.query(
    `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, credential_kind, updated_at) VALUES
      ('00000000-0000-4000-8000-000000000001', $1, 'github', 'http', $2, 'token_exchange', now()),
      ('00000000-0000-4000-8000-000000000002', $1, 'plain', 'http', 'https://plain.example/mcp', 'none', now())`,
    [tenantId, UPSTREAM],
  );
  await server.infra.pg.query(
    `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES
      (gen_random_uuid(), $1, '00000000-0000-4000-8000-000000000001', 'list_issues', '{mcp}', now()),
      (gen_random_uuid(), $1, '00000000-0000-4000-8000-000000000001', 'close_issue', '{mcp,github:write}', now()),
      (gen_random_uuid(), $1, '00000000-0000-4000-8000-000000000002', 'other_tool', '{mcp,plain:admin}', now())`,
    [tenantId],
  );
  demo = new OAuthFlow(server.url, 'demo', USER);
  client = await demo.register();
  const tokens = await demo.tokens(client, { resource: aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo'), scope: 'mcp github:write plain:admin' });
  userToken = String(tokens['access_token']);
});
afterAll(async () => {
  await server?.close();
});

describe('token exchange (RFC 8693)', () => {
  it('is advertised in the metadata', async () => {
    const metadata = (await (await fetch(`${demo.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(GRANT);
  });

  it('gives the gateway a token for the upstream only: user as sub, gateway as actor, the user’s grant, the scopes the upstream knows', async () => {
    const { status, json } = await exchange({ subject_token: userToken, resource: UPSTREAM });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', scope: 'mcp github:write' });
    const token = String(json['access_token']);
    expect(token).not.toBe(userToken);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${demo.issuer}/jwks`)), { issuer: demo.issuer, audience: UPSTREAM, typ: 'at+jwt' });
    const subject = decodeJwt(userToken);
    expect(payload.aud).toBe(UPSTREAM);
    expect(payload.sub).toBe(subject.sub);
    expect(payload['act']).toEqual({ sub: ServiceClients.gateway });
    expect(payload['client_id']).toBe(ServiceClients.gateway);
    expect(payload['grant_id']).toBe(subject['grant_id']);
    expect(payload.exp!).toBeLessThanOrEqual(subject.exp!);
    const introspection = await postForm(`${demo.issuer}/token/introspection`, { token }, gateway());
    expect(introspection.json).toMatchObject({ active: true, aud: UPSTREAM, sub: subject.sub });
  });

  it('narrows to the requested scope and refuses more than the subject token allows', async () => {
    const narrow = await exchange({ subject_token: userToken, resource: UPSTREAM, scope: 'mcp' });
    expect(narrow.json['scope']).toBe('mcp');
    for (const scope of ['mcp admin', 'plain:admin', 'mcp github:admin']) {
      const wide = await exchange({ subject_token: userToken, resource: UPSTREAM, scope });
      expect(wide.status).toBe(400);
      expect(wide.json['error']).toBe('invalid_scope');
    }
  });

  it('refuses a resource that is not a token-exchange upstream of the tenant, or none, or two', async () => {
    for (const resource of ['https://plain.example/mcp', 'https://evil.example/mcp', aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo'), [UPSTREAM, 'https://plain.example/mcp']]) {
      const { status, json } = await exchange({ subject_token: userToken, resource });
      expect(status).toBe(400);
      expect(json['error']).toBe('invalid_target');
    }
    expect((await exchange({ subject_token: userToken })).json['error']).toBe('invalid_target');
    expect((await exchange({ subject_token: userToken, resource: UPSTREAM, audience: UPSTREAM })).json['error']).toBe('invalid_target');
  });

  it('refuses subject tokens that are not a live user token for the gateway', async () => {
    const serviceToken = await postForm(`${demo.issuer}/token`, { grant_type: 'client_credentials' }, gateway());
    const exchanged = await exchange({ subject_token: userToken, resource: UPSTREAM });
    const forServer = await demo.tokens(client, { resource: serverMcpUrl(server.config.gatewayPublicUrl, 'demo', 'plain') });
    for (const subject of [String(serviceToken.json['access_token']), String(exchanged.json['access_token']), 'not-a-jwt', `${userToken.slice(0, -4)}AAAA`, String(forServer['access_token'])]) {
      const { status, json } = await exchange({ subject_token: subject, resource: UPSTREAM });
      expect(status, subject.slice(0, 20)).toBe(400);
      expect(['invalid_grant', 'invalid_target']).toContain(json['error']);
    }
  });

  it('refuses malformed requests with invalid_request', async () => {
    expect((await exchange({ subject_token: userToken, resource: UPSTREAM, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })).json['error']).toBe('invalid_request');
    expect((await exchange({ subject_token: userToken, resource: UPSTREAM, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).json['error']).toBe('invalid_request');
    expect((await exchange({ subject_token: userToken, resource: UPSTREAM, actor_token: userToken, actor_token_type: ACCESS_TOKEN_TYPE })).json['error']).toBe('invalid_request');
    expect((await exchange({ resource: UPSTREAM })).json['error']).toBe('invalid_request');
  });

  it('is for the gateway only: a client cannot register for it, and a registered client cannot use it', async () => {
    const sneaky = await fetch(`${demo.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Sneaky', redirect_uris: ['http://127.0.0.1:9/callback'], token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', GRANT] }),
    });
    expect(sneaky.status).toBe(400);
    expect(((await sneaky.json()) as Record<string, unknown>)['error']).toBe('invalid_client_metadata');
    const plainClient = await demo.register({ token_endpoint_auth_method: 'client_secret_basic' });
    const notAllowed = await exchange({ subject_token: userToken, resource: UPSTREAM }, { id: plainClient.clientId, secret: plainClient.clientSecret! });
    expect(notAllowed.status).toBe(400);
    expect(notAllowed.json['error']).toMatch(/^(unauthorized_client|invalid_request)$/);
    const anotherTenant = await exchange({ subject_token: userToken, resource: UPSTREAM }, gateway('other'), 'other');
    expect(anotherTenant.status).toBe(400);
    expect(anotherTenant.json['error']).toBe('invalid_grant');
  });

  it('stops exchanging, and the exchanged token stops being active, once the user’s grant is revoked', async () => {
    const fresh = await demo.tokens(client, { resource: aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo'), scope: 'mcp' });
    const subject = String(fresh['access_token']);
    const exchanged = await exchange({ subject_token: subject, resource: UPSTREAM });
    expect(exchanged.status).toBe(200);
    // The client revokes its access token: a JWT, so the whole grant goes.
    const revoked = await fetch(`${demo.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: subject, client_id: client.clientId }),
    });
    expect(revoked.status).toBe(200);
    const again = await exchange({ subject_token: subject, resource: UPSTREAM });
    expect(again.json['error']).toBe('invalid_grant');
    const introspection = await postForm(`${demo.issuer}/token/introspection`, { token: String(exchanged.json['access_token']) }, gateway());
    expect(introspection.json).toEqual({ active: false });
  });
});
