import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import { aggregatedMcpUrl, CATALOG_CHANGED_CHANNEL, catalogChangedEventSchema, Queues, serverMcpUrl, type AuditEvent, type CatalogChangedEvent } from '@airlock/contracts';
import { deriveServiceClientSecret, openSecret, ServiceClients } from '@airlock/platform';
import { SigningKeyRepository } from '../src/keys/signing-key.repository.js';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow, REDIRECT } from './support/oauth-flow.js';

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

let server: AuthServerHarness;
let token: string;
const audit: AuditEvent[] = [];

async function adminToken(scope: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope }, ADMIN);
}

async function api(method: string, path: string, body?: unknown, bearer: string | null = token) {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> & { items?: Array<Record<string, unknown>>; nextCursor?: string | null } };
}

async function audited(action: string, target?: string): Promise<AuditEvent> {
  await server.queues.drain(Queues.audit);
  const event = audit.find((e) => e.action === action && (target === undefined || e.target === target));
  if (!event) throw new Error(`no audit event ${action} ${target ?? ''}: ${audit.map((e) => e.action).join(', ')}`);
  return event;
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  server.queues.work<AuditEvent>(Queues.audit, async (job) => {
    audit.push(job.data);
  });
  const issued = await adminToken('admin');
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  token = String(issued.json['access_token']);
});
afterAll(async () => {
  await server?.close();
});

describe('admin API authentication', () => {
  it('answers 401 with a Bearer challenge without a token or with a bad one', async () => {
    const none = await api('GET', '/tenants', undefined, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(none.json['error']).toBe('invalid_token');
    const gateway = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials' }, { id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, 'demo') });
    for (const bad of ['garbage', `${token.slice(0, -6)}AAAAAA`, String(gateway.json['access_token'])]) {
      const response = await api('GET', '/tenants', undefined, bad);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(response.json['error']).toBe('invalid_token');
      expect(JSON.stringify(response.json)).not.toMatch(/stack|at \//);
    }
  });

  it('answers 403 insufficient_scope for an admin-tenant token without the admin scope', async () => {
    // The admin client always gets `admin` (the resource's default scope), so sign such a token with the
    // admin tenant's own active key, exactly as its issuer would.
    const { rows } = await server.infra.pg.query<{ id: string }>("SELECT id FROM tenants WHERE slug = 'admin'");
    const jwk = (await new SigningKeyRepository(server.infra.pg, server.infra.masterKey).privateJwks(rows[0]!.id))[0]!;
    const claims = decodeJwt(token);
    const scopeless = await new SignJWT({ ...claims, scope: 'sessions:read' })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt' })
      .sign(await importJWK(jwk, jwk.alg));
    const response = await api('GET', '/tenants', undefined, scopeless);
    expect(response.status).toBe(403);
    expect(response.json['error']).toBe('insufficient_scope');
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.headers.get('www-authenticate')).toContain('scope="admin"');
    // The same claims with the scope pass: the refusal was about the scope alone.
    const scoped = await new SignJWT({ ...claims }).setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt' }).sign(await importJWK(jwk, jwk.alg));
    expect((await api('GET', '/tenants', undefined, scoped)).status).toBe(200);
  });

  it('refuses a token in the query string', async () => {
    const response = await fetch(`${server.url}/admin/v1/tenants?access_token=${token}`);
    expect(response.status).toBe(400);
  });
});

describe('tenants', () => {
  it('creates a tenant that serves discovery at once, refuses duplicates, the reserved slug and bad input', async () => {
    const created = await api('POST', '/tenants', { slug: 'acme', displayName: 'Acme' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ slug: 'acme', displayName: 'Acme', registrationPolicy: 'open', accessTokenTtl: 600 });
    const metadata = await fetch(`${server.url}/.well-known/oauth-authorization-server/t/acme`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as Record<string, unknown>)['issuer']).toBe(`${server.url}/t/acme`);
    expect((await api('POST', '/tenants', { slug: 'acme', displayName: 'Again' })).status).toBe(409);
    const reserved = await api('POST', '/tenants', { slug: 'admin', displayName: 'Nope' });
    expect(reserved.status).toBe(400);
    expect(reserved.json['error']).toBe('invalid_request');
    const bad = await api('POST', '/tenants', { slug: 'Bad Slug', displayName: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(String(bad.json['error_description'])).toContain('slug');
    expect(String(bad.json['error_description'])).toContain('displayName');
    expect((await audited('admin.tenant.create', 'acme')).actor.clientId).toBe('test-admin');
  });

  it('creates a tenant all or nothing: when its keys cannot be made, no tenant is left and a retry succeeds', async () => {
    // A real fault in the database: inserting signing keys of this one tenant fails.
    await server.infra.pg.query(`CREATE OR REPLACE FUNCTION refuse_doomed_keys() RETURNS trigger AS $$
      BEGIN
        IF (SELECT slug FROM tenants WHERE id = NEW.tenant_id) = 'doomed' THEN RAISE EXCEPTION 'no keys for doomed'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await server.infra.pg.query('CREATE TRIGGER refuse_doomed_keys BEFORE INSERT ON signing_keys FOR EACH ROW EXECUTE FUNCTION refuse_doomed_keys()');
    try {
      const failed = await api('POST', '/tenants', { slug: 'doomed', displayName: 'Doomed' });
      expect(failed.status).toBe(500);
      expect(JSON.stringify(failed.json)).not.toMatch(/no keys for doomed|stack|at \//);
      expect((await api('GET', '/tenants/doomed')).status).toBe(404);
      expect((await server.infra.pg.query("SELECT 1 FROM tenants WHERE slug = 'doomed'")).rowCount).toBe(0);
    } finally {
      await server.infra.pg.query('DROP TRIGGER refuse_doomed_keys ON signing_keys');
      await server.infra.pg.query('DROP FUNCTION refuse_doomed_keys()');
    }
    const retried = await api('POST', '/tenants', { slug: 'doomed', displayName: 'Doomed' });
    expect(retried.status, JSON.stringify(retried.json)).toBe(201);
    expect((await fetch(`${server.url}/.well-known/oauth-authorization-server/t/doomed`)).status).toBe(200);
  });

  it('lists tenants page by page, without the platform tenant', async () => {
    for (const slug of ['t-one', 't-two', 't-three']) expect((await api('POST', '/tenants', { slug, displayName: slug })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const response = await api('GET', `/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.json.items!.length).toBeLessThanOrEqual(2);
      seen.push(...response.json.items!.map((item) => String(item['slug'])));
      cursor = response.json.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(['acme', 'demo', 't-one', 't-three', 't-two']));
    expect(seen).not.toContain('admin');
    expect(new Set(seen).size).toBe(seen.length);
    expect((await api('GET', '/tenants?limit=0')).status).toBe(400);
    expect((await api('GET', '/tenants/admin')).status).toBe(404);
  });

  it('changes the registration policy without a restart', async () => {
    const register = () => fetch(`${server.url}/t/acme/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }) });
    expect((await register()).status).toBe(201);
    const changed = await api('PUT', '/tenants/acme/registration-policy', { policy: 'initial_access_token' });
    expect(changed.json).toEqual({ policy: 'initial_access_token' });
    expect((await register()).status).toBe(401);
    const iat = await api('POST', '/tenants/acme/initial-access-tokens', {});
    expect(iat.status).toBe(201);
    const withToken = await fetch(`${server.url}/t/acme/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${String(iat.json['initial_access_token'])}` },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    expect(withToken.status).toBe(201);
    await api('PATCH', '/tenants/acme', { registrationPolicy: 'off' });
    const metadata = (await (await fetch(`${server.url}/t/acme/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata['registration_endpoint']).toBeUndefined();
    await audited('admin.tenant.registration_policy', 'acme');
  });

  it('deletes a tenant and its issuer goes away', async () => {
    expect((await api('DELETE', '/tenants/t-three')).status).toBe(204);
    expect((await fetch(`${server.url}/t/t-three/.well-known/openid-configuration`)).status).toBe(404);
    expect((await api('GET', '/tenants/t-three')).status).toBe(404);
    expect((await api('DELETE', '/tenants/t-three')).status).toBe(404);
  });
});

describe('users and clients', () => {
  it('creates a user who can sign in; disabling revokes their grants; deleting removes them', async () => {
    const created = await api('POST', '/tenants/demo/users', { email: 'Dana@Example.com', password: 'a long enough password' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ email: 'dana@example.com', disabled: false });
    expect(JSON.stringify(created.json)).not.toContain('argon2');
    expect((await api('POST', '/tenants/demo/users', { email: 'dana@example.com', password: 'another password' })).status).toBe(409);
    expect((await api('POST', '/tenants/demo/users', { email: 'not-an-email', password: 'short' })).status).toBe(400);
    const id = String(created.json['id']);

    const flow = new OAuthFlow(server.url, 'demo', { email: 'dana@example.com', password: 'a long enough password' });
    const client = await flow.register();
    const tokens = await flow.tokens(client, { resource: aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo') });
    expect((await api('PATCH', `/tenants/demo/users/${id}`, { disabled: true })).json['disabled']).toBe(true);
    expect((await flow.refresh(client, String(tokens['refresh_token']))).json['error']).toBe('invalid_grant');
    expect((await audited('admin.user.update', id)).details).toMatchObject({ changed: ['disabled'], actor: { role: 'platform-admin', breakGlass: true }, before: { disabled: false }, after: { disabled: true } });

    const list = await api('GET', '/tenants/demo/users?limit=50');
    expect(list.json.items!.map((user) => user['email'])).toContain('dana@example.com');
    expect((await api('DELETE', `/tenants/demo/users/${id}`)).status).toBe(204);
    expect((await api('GET', `/tenants/demo/users/${id}`)).status).toBe(404);
  });

  it('pre-registers a confidential client (secret shown once) that completes the code flow; deleting it revokes its grants', async () => {
    await server.createUser('demo', 'frank@example.com', 'frank password 123');
    const created = await api('POST', '/tenants/demo/clients', { client_name: 'Admin-made', redirect_uris: [REDIRECT] });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const clientId = String(created.json['client_id']);
    const secret = String(created.json['client_secret']);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const shown = await api('GET', `/tenants/demo/clients/${clientId}`);
    expect(shown.json).toMatchObject({ client_id: clientId, kind: 'admin', client_name: 'Admin-made' });
    expect(JSON.stringify(shown.json)).not.toContain(secret);
    // At rest the secret is sealed, for admin-made and dynamically registered clients alike.
    const dynamic = await new OAuthFlow(server.url, 'demo', { email: '', password: '' }).register({ token_endpoint_auth_method: 'client_secret_basic' });
    const stored = await server.infra.pg.query<{ client_id: string; secret: string }>(
      "SELECT client_id, metadata->>'client_secret' AS secret FROM oauth_clients WHERE client_id = ANY($1)",
      [[clientId, dynamic.clientId]],
    );
    expect(stored.rows).toHaveLength(2);
    for (const row of stored.rows) {
      expect(row.secret).toMatch(/^v1\./);
      expect([secret, dynamic.clientSecret]).not.toContain(row.secret);
    }

    const flow = new OAuthFlow(server.url, 'demo', { email: 'frank@example.com', password: 'frank password 123' });
    const client = { clientId, clientSecret: secret, registrationAccessToken: '' };
    const { code, verifier } = await flow.code(new CookieJar(), client, { resource: aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo') });
    const tokens = await flow.redeem(client, code, verifier);
    expect(tokens.status, JSON.stringify(tokens.json)).toBe(200);

    expect((await api('DELETE', `/tenants/demo/clients/${clientId}`)).status).toBe(204);
    expect((await flow.refresh(client, String(tokens.json['refresh_token']))).json['error']).toBe('invalid_client');
    const introspection = await postForm(`${server.url}/t/demo/token/introspection`, { token: String(tokens.json['access_token']) }, { id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, 'demo') });
    expect(introspection.json).toEqual({ active: false });
    await audited('admin.client.delete', clientId);
  });

  it('refuses client metadata dynamic registration would refuse, and reserved ids', async () => {
    for (const redirect of ['javascript:alert(1)', 'https://app.example/cb#frag', 'http://app.example/cb', 'https://*.example/cb']) {
      const response = await api('POST', '/tenants/demo/clients', { client_name: 'Bad', redirect_uris: [redirect] });
      expect(response.status, redirect).toBe(400);
      expect(response.json['error'], redirect).toBe('invalid_redirect_uri');
    }
    expect((await api('POST', '/tenants/demo/clients', { client_name: 'Gateway', client_id: ServiceClients.gateway, redirect_uris: [REDIRECT] })).status).toBe(409);
    expect((await api('POST', '/tenants/demo/clients', { client_name: 'X', grant_types: ['password'] })).status).toBe(400);
  });
});

describe('signing keys', () => {
  it('rotates: the next key signs, the old one stays published, tokens from before still verify', async () => {
    const before = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials' }, { id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, 'demo') });
    const oldKid = decodeProtectedHeader(String(before.json['access_token'])).kid;
    const keys = await api('GET', '/tenants/demo/keys');
    const nextEs256 = keys.json.items!.find((key) => key['alg'] === 'ES256' && key['state'] === 'next')!['kid'];
    const rotated = await api('POST', '/tenants/demo/keys/rotate', {});
    expect(rotated.status).toBe(200);
    expect(rotated.json.items!.find((key) => key['alg'] === 'ES256' && key['state'] === 'active')!['kid']).toBe(nextEs256);
    expect(rotated.json.items!.find((key) => key['kid'] === oldKid)!['state']).toBe('retired');

    const after = await postForm(`${server.url}/t/demo/token`, { grant_type: 'client_credentials' }, { id: ServiceClients.gateway, secret: deriveServiceClientSecret(server.infra.masterKey, ServiceClients.gateway, 'demo') });
    expect(decodeProtectedHeader(String(after.json['access_token'])).kid).toBe(nextEs256);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/t/demo/jwks`));
    await jwtVerify(String(before.json['access_token']), jwks);
    await jwtVerify(String(after.json['access_token']), jwks);
    const published = ((await (await fetch(`${server.url}/t/demo/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }).keys;
    expect(published.map((key) => key.kid)).toContain(oldKid);
    expect(published.filter((key) => key.d)).toEqual([]);
    await audited('admin.keys.rotate', 'demo');
  });
});

describe('upstream servers and tool scopes', () => {
  it('registers a server with sealed secrets and sets each tool’s required scopes', async () => {
    const created = await api('POST', '/tenants/demo/servers', {
      name: 'github',
      transport: 'http',
      url: 'https://gh.example/mcp',
      credentialKind: 'static_header',
      secrets: { header: { name: 'authorization', value: 'Bearer upstream-secret' } },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ name: 'github', hasSecrets: true, enabled: true, credentialKind: 'static_header' });
    expect(JSON.stringify(created.json)).not.toContain('upstream-secret');
    const { rows } = await server.infra.pg.query<{ tenant_id: string; secrets_encrypted: string }>("SELECT tenant_id, secrets_encrypted FROM upstream_servers WHERE name = 'github'");
    // Sealed with the context the gateway opens it with.
    expect(JSON.parse(openSecret(server.infra.masterKey, rows[0]!.secrets_encrypted, `upstream:${rows[0]!.tenant_id}:github`))).toEqual({ header: { name: 'authorization', value: 'Bearer upstream-secret' } });
    expect((await api('POST', '/tenants/demo/servers', { name: 'github', transport: 'http', url: 'https://gh.example/mcp' })).status).toBe(409);
    expect((await api('POST', '/tenants/demo/servers', { name: 'nourl', transport: 'http' })).status).toBe(400);

    const tools = await api('PUT', '/tenants/demo/servers/github/tools', {
      tools: [
        { name: 'list_issues', requiredScopes: ['mcp'] },
        { name: 'delete_repo', title: 'Delete a repository', requiredScopes: ['mcp', 'github:admin'] },
      ],
    });
    expect(tools.json.items!.map((tool) => tool['name'])).toEqual(['delete_repo', 'list_issues']);
    const patched = await api('PATCH', '/tenants/demo/servers/github/tools/list_issues', { requiredScopes: ['mcp', 'github:read'] });
    expect(patched.json).toMatchObject({ name: 'list_issues', requiredScopes: ['mcp', 'github:read'] });
    expect((await api('PATCH', '/tenants/demo/servers/github/tools/nope', { requiredScopes: [] })).status).toBe(404);
    const shown = await api('GET', '/tenants/demo/servers/github');
    expect((shown.json['tools'] as unknown[]).length).toBe(2);
    expect((await api('PUT', '/tenants/demo/servers/github/tools', { tools: [{ name: 'x', requiredScopes: ['bad scope'] }] })).status).toBe(400);

    const disabled = await api('PATCH', '/tenants/demo/servers/github', { enabled: false, secrets: null });
    expect(disabled.json).toMatchObject({ enabled: false, hasSecrets: false });
    expect((await api('DELETE', '/tenants/demo/servers/github')).status).toBe(204);
    expect((await api('GET', '/tenants/demo/servers/github')).status).toBe(404);
    await audited('admin.tools.replace', 'github');
    await audited('admin.tool.update', 'github/list_issues');
  });

  it('registers a stdio server sandboxed by default, with read-only paths; opting out is explicit and paths must be absolute', async () => {
    const created = await api('POST', '/tenants/demo/servers', { name: 'local-fs', transport: 'stdio', command: 'npx', args: ['-y', 'some-server'], readOnlyPaths: ['/opt/mcp/some-server'] });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ name: 'local-fs', sandbox: true, readOnlyPaths: ['/opt/mcp/some-server'] });
    const optedOut = await api('PATCH', '/tenants/demo/servers/local-fs', { sandbox: false });
    expect(optedOut.json).toMatchObject({ sandbox: false, readOnlyPaths: ['/opt/mcp/some-server'] });
    const { rows } = await server.infra.pg.query<{ sandbox: boolean; read_only_paths: string[] }>("SELECT sandbox, read_only_paths FROM upstream_servers WHERE name = 'local-fs'");
    expect(rows[0]).toEqual({ sandbox: false, read_only_paths: ['/opt/mcp/some-server'] });
    for (const path of ['relative/dir', '/opt/../etc', '/opt//x', '/opt/x/']) {
      expect((await api('PATCH', '/tenants/demo/servers/local-fs', { readOnlyPaths: [path] })).status, path).toBe(400);
    }
    expect((await api('DELETE', '/tenants/demo/servers/local-fs')).status).toBe(204);
  });

  it('announces every catalogue change on CATALOG_CHANGED_CHANNEL, and its own token issuance sees a new tool scope at once', async () => {
    const events: CatalogChangedEvent[] = [];
    const unsubscribe = await server.hot.subscribe(CATALOG_CHANGED_CHANNEL, (message) => events.push(catalogChangedEventSchema.parse(JSON.parse(message))));
    const seen = async (count: number) => {
      // Pub/sub delivery is asynchronous; the publish itself happened before the API answered.
      for (let i = 0; i < 200 && events.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return events.slice(0, count);
    };
    try {
      await server.createUser('demo', 'gina@example.com', 'gina password 123');
      expect((await api('POST', '/tenants/demo/servers', { name: 'jira', transport: 'http', url: 'https://jira.example/mcp' })).status).toBe(201);
      expect((await api('PUT', '/tenants/demo/servers/jira/tools', { tools: [{ name: 'create_issue', requiredScopes: ['mcp'] }] })).status).toBe(200);
      const flow = new OAuthFlow(server.url, 'demo', { email: 'gina@example.com', password: 'gina password 123' });
      const client = await flow.register();
      const resource = serverMcpUrl(server.config.gatewayPublicUrl, 'demo', 'jira');
      // Asked for before the scope exists: not granted (and the resource is now cached).
      const before = await flow.tokens(client, { resource, scope: 'mcp jira:write' });
      expect(String(before['scope']).split(' ')).not.toContain('jira:write');

      expect((await api('PATCH', '/tenants/demo/servers/jira/tools/create_issue', { requiredScopes: ['mcp', 'jira:write'] })).status).toBe(200);
      const after = await flow.tokens(client, { resource, scope: 'mcp jira:write' });
      expect(String(after['scope']).split(' ')).toContain('jira:write');

      expect((await api('PATCH', '/tenants/demo/servers/jira', { enabled: false })).status).toBe(200);
      expect((await api('DELETE', '/tenants/demo/servers/jira')).status).toBe(204);
      expect(await seen(5)).toEqual([
        { tenant: 'demo', server: 'jira' },
        { tenant: 'demo', server: 'jira' },
        { tenant: 'demo', server: 'jira' },
        { tenant: 'demo', server: 'jira' },
        { tenant: 'demo', server: 'jira' },
      ]);
      expect(events).toHaveLength(5);
    } finally {
      await unsubscribe();
    }
  });
});
