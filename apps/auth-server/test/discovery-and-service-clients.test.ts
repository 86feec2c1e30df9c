import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, createRemoteJWKSet, jwtVerify } from 'jose';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { sessionStoreAudience } from '@airlock/contracts';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';

let server: AuthServerHarness;

beforeAll(async () => {
  server = await startAuthServerHarness();
});
afterAll(async () => {
  await server?.close();
});

describe('discovery', () => {
  it('serves the same metadata at every well-known URL the MCP spec lists for an issuer with a path', async () => {
    const issuer = `${server.url}/t/demo`;
    const urls = [
      `${server.url}/.well-known/oauth-authorization-server/t/demo`,
      `${server.url}/.well-known/openid-configuration/t/demo`,
      `${server.url}/t/demo/.well-known/openid-configuration`,
    ];
    for (const url of urls) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata['issuer']).toBe(issuer);
      expect(metadata['authorization_endpoint']).toBe(`${issuer}/auth`);
      expect(metadata['token_endpoint']).toBe(`${issuer}/token`);
      expect(metadata['jwks_uri']).toBe(`${issuer}/jwks`);
      expect(metadata['registration_endpoint']).toBe(`${issuer}/reg`);
      expect(metadata['code_challenge_methods_supported']).toEqual(['S256']);
      expect(metadata['authorization_response_iss_parameter_supported']).toBe(true);
      expect(metadata['client_id_metadata_document_supported']).toBe(true);
      expect(metadata['response_types_supported']).toEqual(['code']);
      expect(metadata['grant_types_supported']).not.toContain('implicit');
      expect(metadata['grant_types_supported']).not.toContain('password');
    }
  });

  it('answers 404 for an unknown tenant', async () => {
    expect((await fetch(`${server.url}/.well-known/oauth-authorization-server/t/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/t/nope/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('publishes ES256 and RS256 keys, including the next ones, and no private parts', async () => {
    const jwks = (await (await fetch(`${server.url}/t/demo/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((key) => key['alg']).sort()).toEqual(['ES256', 'ES256', 'RS256', 'RS256']);
    for (const key of jwks.keys) expect(key['d']).toBeUndefined();
  });
});

describe('behind a TLS-terminating proxy (https issuer, plain HTTP to the auth server)', () => {
  let proxied: AuthServerHarness;
  beforeAll(async () => {
    proxied = await startAuthServerHarness({ AUTH_PUBLIC_URL: 'https://auth.proxied.example:8443' });
  });
  afterAll(async () => {
    await proxied?.close();
  });

  it('names https endpoints whatever X-Forwarded-Proto or X-Forwarded-Host a client sends', async () => {
    const metadataOf = (headers: Record<string, string>) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const url = new URL(`${proxied.url}/.well-known/oauth-authorization-server/t/demo`);
        const call = httpRequest(url, { headers: { host: 'auth.proxied.example:8443', ...headers } }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
        });
        call.on('error', reject).end();
      });
    const variants: Array<Record<string, string>> = [{}, { 'x-forwarded-proto': 'http' }, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }];
    for (const headers of variants) {
      const metadata = await metadataOf(headers);
      expect(metadata['issuer']).toBe('https://auth.proxied.example:8443/t/demo');
      expect(metadata['registration_endpoint'], JSON.stringify(headers)).toBe('https://auth.proxied.example:8443/t/demo/reg');
      expect(metadata['token_endpoint']).toBe('https://auth.proxied.example:8443/t/demo/token');
    }
  });
});

describe('service clients', () => {
  const gateway = () => ({ id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, 'demo') });

  it('gives the gateway a session-store token (RFC 9068 JWT, one audience) with client_credentials', async () => {
    const { status, json } = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials', scope: 'sessions:read sessions:write' }, gateway());
    expect(status, JSON.stringify(json)).toBe(200);
    const token = String(json['access_token']);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/t/demo/jwks`));
    const { payload } = await jwtVerify(token, jwks, { issuer: `${server.url}/t/demo`, audience: sessionStoreAudience(server.config.sessionStoreUrl), typ: 'at+jwt' });
    expect(payload['client_id']).toBe(ServiceClients.gateway);
    expect(payload['scope']).toBe('sessions:read sessions:write');
  });

  it('refuses a wrong secret, and the demo secret in another tenant', async () => {
    await server.infra.pg.query(
      "INSERT INTO tenants (id, slug, display_name, updated_at) VALUES (gen_random_uuid(), 'other', 'Other', now()) ON CONFLICT DO NOTHING",
    );
    const wrong = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials' }, { id: ServiceClients.gateway, secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json['error']).toBe('invalid_client');
    const crossTenant = await postForm(`${server.url}/t/other/token`, { grant_type: 'client_credentials' }, gateway());
    expect(crossTenant.status).toBe(401);
    expect(crossTenant.json['error']).toBe('invalid_client');
  });

  it('refuses a resource the tenant does not serve with invalid_target', async () => {
    const { status, json } = await postForm(
      `${server.url}/t/demo/token`,
      { grant_type: 'client_credentials', resource: 'https://evil.example/api' },
      gateway(),
    );
    expect(status).toBe(400);
    expect(json['error']).toBe('invalid_target');
  });

  it('gives the bootstrap admin client an admin token from the admin tenant only', async () => {
    const admin = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };
    const ok = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, admin);
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(decodeJwt(String(ok.json['access_token']))).toMatchObject({ aud: `${server.url}/admin/v1`, scope: 'admin' });
    const elsewhere = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials', scope: 'admin' }, admin);
    expect(elsewhere.json['error']).toBe('invalid_client');
  });
});
