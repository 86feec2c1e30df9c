import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  discoverAuthorizationServerMetadata,
  extractResourceMetadataUrl,
  refreshAuthorization,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { validateDocument } from '../src/client-metadata/client-metadata.service.js';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow, REDIRECT } from './support/oauth-flow.js';
import { browse, formFor, parseForms } from './support/browser.js';

// End to end with the official MCP SDK client's OAuth support (client/auth.js): it meets a protected
// resource's 401, discovers the authorization server from the resource's RFC 9728 metadata, registers
// (DCR, or a Client ID Metadata Document), sends the user through the real login and consent forms,
// redeems the code, refreshes, and is refused once the user revokes it on the account page.

let server: AuthServerHarness;
let resourceServer: Server;
let resourceBase = '';
let documentBody = '';
const resourceUrl = () => `${resourceBase}/t/demo/mcp`;

/** A tiny protected resource: RFC 9728 metadata, and an endpoint that checks tokens by introspection. */
async function startResourceServer(): Promise<void> {
  resourceServer = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/.well-known/oauth-protected-resource/t/demo/mcp') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ resource: resourceUrl(), authorization_servers: [`${server.url}/t/demo`], scopes_supported: ['mcp'], bearer_methods_supported: ['header'] }));
        return;
      }
      if (path === '/client.json') {
        res.setHeader('content-type', 'application/json');
        res.end(documentBody);
        return;
      }
      if (path !== '/t/demo/mcp') {
        res.statusCode = 404;
        res.end();
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const challenge = `Bearer resource_metadata="${resourceBase}/.well-known/oauth-protected-resource/t/demo/mcp"`;
      if (!bearer) {
        res.writeHead(401, { 'www-authenticate': challenge }).end();
        return;
      }
      const gateway = { id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, 'demo') };
      const { json } = await postForm(`${server.url}/t/demo/token/introspection`, { token: bearer }, gateway);
      if (json['active'] !== true || json['aud'] !== resourceUrl()) {
        res.writeHead(401, { 'www-authenticate': `${challenge}, error="invalid_token"` }).end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sub: json['sub'], client_id: json['client_id'] }));
    })();
  });
  await new Promise<void>((resolve) => resourceServer.listen(0, '127.0.0.1', resolve));
  resourceBase = `http://127.0.0.1:${(resourceServer.address() as AddressInfo).port}`;
}

/** The application's side of the SDK contract, kept in memory. */
class TestClientProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;

  constructor(readonly clientMetadataUrl?: string) {}

  get redirectUrl(): string {
    return REDIRECT;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK end-to-end client', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }

  state(): string {
    return 'sdk-state';
  }

  clientInformation() {
    return this.info;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }

  tokens() {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'client') this.info = undefined;
  }
}

async function callResource(accessToken: string | undefined): Promise<Response> {
  return fetch(resourceUrl(), { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
}

/** The whole journey for one provider; returns what the test needs to check afterwards. */
async function journey(provider: TestClientProvider, user: { email: string; password: string }) {
  // 1. The resource says 401 and where its metadata is.
  const unauthorized = await callResource(undefined);
  expect(unauthorized.status).toBe(401);
  const resourceMetadataUrl = extractResourceMetadataUrl(unauthorized);
  expect(resourceMetadataUrl?.href).toBe(`${resourceBase}/.well-known/oauth-protected-resource/t/demo/mcp`);

  // 2. The SDK discovers the authorization server, registers, and sends the user to authorize.
  expect(await auth(provider, { serverUrl: resourceUrl(), resourceMetadataUrl: resourceMetadataUrl! })).toBe('REDIRECT');
  const authorizationUrl = provider.authorizationUrl!;
  expect(authorizationUrl.href.startsWith(`${server.url}/t/demo/auth?`)).toBe(true);
  expect(authorizationUrl.searchParams.get('resource')).toBe(resourceUrl());
  expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');

  // 3. The user signs in and approves through the HTML forms.
  const flow = new OAuthFlow(server.url, 'demo', user);
  const callback = await flow.follow(new CookieJar(), authorizationUrl);
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
  expect(callback.searchParams.get('state')).toBe('sdk-state');
  expect(callback.searchParams.get('iss')).toBe(`${server.url}/t/demo`);
  const code = callback.searchParams.get('code')!;

  // 4. The SDK redeems the code; the token works at the resource.
  expect(await auth(provider, { serverUrl: resourceUrl(), resourceMetadataUrl: resourceMetadataUrl!, authorizationCode: code })).toBe('AUTHORIZED');
  const first = provider.saved!;
  expect(first.refresh_token).toBeTruthy();
  const ok = await callResource(first.access_token);
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as Record<string, unknown>)['client_id']).toBe(provider.info!.client_id);

  // 5. With tokens in hand the SDK refreshes (a public client: the refresh token rotates).
  expect(await auth(provider, { serverUrl: resourceUrl(), resourceMetadataUrl: resourceMetadataUrl! })).toBe('AUTHORIZED');
  const refreshed = provider.saved!;
  expect(refreshed.access_token).not.toBe(first.access_token);
  expect(refreshed.refresh_token).toBeTruthy();
  expect(refreshed.refresh_token).not.toBe(first.refresh_token);
  expect((await callResource(refreshed.access_token)).status).toBe(200);

  // 6. The user revokes the client on the self-service page.
  const jar = new CookieJar();
  const signIn = formFor(await (await browse(jar, `${server.url}/t/demo/account`)).text(), '/login');
  expect((await browse(jar, `${server.url}${signIn.action}`, { form: { ...signIn.fields, ...user } })).status).toBe(303);
  const accountHtml = await (await browse(jar, `${server.url}/t/demo/account`)).text();
  expect(accountHtml).toContain('SDK end-to-end client');
  const revokeForms = parseForms(accountHtml).filter((form) => form.action.endsWith('/revoke'));
  expect(revokeForms).toHaveLength(1);
  const revoked = await browse(jar, `${server.url}${revokeForms[0]!.action}`, { form: revokeForms[0]!.fields });
  expect(revoked.status).toBe(303);
  expect(await (await browse(jar, `${server.url}/t/demo/account`)).text()).not.toContain('SDK end-to-end client');

  // 7. The refresh token is refused, the access token stops working, and the SDK starts over.
  const metadata = await discoverAuthorizationServerMetadata(`${server.url}/t/demo`);
  await expect(
    refreshAuthorization(`${server.url}/t/demo`, { metadata: metadata!, clientInformation: provider.info!, refreshToken: refreshed.refresh_token!, resource: new URL(resourceUrl()) }),
  ).rejects.toBeInstanceOf(InvalidGrantError);
  expect((await callResource(refreshed.access_token)).status).toBe(401);
  expect(await auth(provider, { serverUrl: resourceUrl(), resourceMetadataUrl: resourceMetadataUrl! })).toBe('REDIRECT');
  expect(provider.saved).toBeUndefined();
}

async function clientKinds(): Promise<Record<string, number>> {
  const { rows } = await server.infra.pg.query<{ kind: string; n: number }>('SELECT kind, count(*)::int AS n FROM oauth_clients GROUP BY kind');
  return Object.fromEntries(rows.map((row) => [row.kind, row.n]));
}

beforeAll(async () => {
  await startResourceServer();
  // The resource above stands where the gateway's aggregated endpoint is, so the tenant serves it.
  server = await startAuthServerHarness({ GATEWAY_PUBLIC_URL: resourceBase });
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => (resourceServer ? resourceServer.close(() => resolve()) : resolve()));
});

describe('MCP SDK client against the authorization server', () => {
  it('registers with RFC 7591, authorizes, refreshes, and is refused after the user revokes it', async () => {
    await server.createUser('demo', 'sdk-dcr@example.com', 'sdk dcr password');
    const provider = new TestClientProvider();
    await journey(provider, { email: 'sdk-dcr@example.com', password: 'sdk dcr password' });
    expect(provider.info!.client_id).toMatch(/^dyn_/);
  });

  it('uses a Client ID Metadata Document instead of registering', async () => {
    // The SDK only sends https client ids, and the authorization server never fetches https from loopback
    // (SSRF rules, tested on their own), so the document is in the server's cache as if fetched once.
    const clientIdUrl = 'https://client.example/mcp/sdk-e2e.json';
    const document = { client_id: clientIdUrl, client_name: 'SDK end-to-end client', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
    const { rows } = await server.infra.pg.query<{ id: string }>("SELECT id FROM tenants WHERE slug = 'demo'");
    await server.infra.pg.query(
      `INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, fetched_at, stale_at, updated_at)
       VALUES ($1, $2, 'metadata_document', $3, now(), now() + interval '1 hour', now())`,
      [rows[0]!.id, clientIdUrl, JSON.stringify(validateDocument(document, clientIdUrl))],
    );
    await server.createUser('demo', 'sdk-cimd@example.com', 'sdk cimd password');
    const before = await clientKinds();
    const provider = new TestClientProvider(clientIdUrl);
    await journey(provider, { email: 'sdk-cimd@example.com', password: 'sdk cimd password' });
    expect(provider.info!.client_id).toBe(clientIdUrl);
    expect((await clientKinds())['dynamic'] ?? 0).toBe(before['dynamic'] ?? 0);
  });

  it('fetches a metadata document it has not seen (loopback http, allowed outside production) and completes the code flow', async () => {
    const clientIdUrl = `${resourceBase}/client.json`;
    documentBody = JSON.stringify({ client_id: clientIdUrl, client_name: 'Fetched document client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    await server.createUser('demo', 'cimd-fetch@example.com', 'cimd fetch password');
    const flow = new OAuthFlow(server.url, 'demo', { email: 'cimd-fetch@example.com', password: 'cimd fetch password' });
    const client = { clientId: clientIdUrl, registrationAccessToken: '' };
    const tokens = await flow.tokens(client, { resource: resourceUrl() });
    expect((await callResource(String(tokens['access_token']))).status).toBe(200);
    // A document whose client_id is not its own URL is refused.
    const other = `${resourceBase}/client.json?v=2`;
    const refused = await flow.authorizeRequest(new CookieJar(), { client_id: other, redirect_uri: REDIRECT, response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('location')).toBeNull();
  });
});
