import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { TENANT, USER, startFullStack, type FullStack } from './support/full-stack.js';
import { adminApi } from './support/admin-and-tokens.js';
import { startOAuthUpstream, UPSTREAM_SCOPE, type OAuthUpstream } from './support/oauth-upstream.js';

// Connected accounts end to end (issue 17): a third-party MCP server that needs the user's own account,
// protected by its own authorization server (a bare oidc-provider, JWT access tokens of a few seconds,
// refresh tokens). The first call asks the user to connect (URL elicitation -32042, or a tool error with
// the link); a browser-like client follows the link, signs in at Airlock, consents at the upstream's
// authorization server and comes back; calls then carry the upstream's token; after it expires, 20
// concurrent calls over two gateway replicas refresh it exactly once; a disconnect on the account page
// makes the next call ask again. The upstream never sees an Airlock token.

const ACCESS_TOKEN_TTL_SECONDS = 6;
const CONCURRENT_CALLS = 20;

/** A browser for two sites: one cookie jar per host (as browsers keep them), redirects followed by hand, forms posted. */
class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  private jar(url: URL): Map<string, string> {
    let jar = this.jars.get(url.hostname);
    if (!jar) this.jars.set(url.hostname, (jar = new Map()));
    return jar;
  }

  async go(url: string, form?: Record<string, string>): Promise<{ url: string; status: number; html: string; location?: string }> {
    const target = new URL(url);
    const jar = this.jar(target);
    const response = await fetch(target, {
      method: form ? 'POST' : 'GET',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get('location');
    return { url: target.href, status: response.status, html: await response.text(), ...(location ? { location: new URL(location, target).href } : {}) };
  }

  /** Follows redirects from `url` (GET) until a page answers. */
  async follow(url: string, form?: Record<string, string>): Promise<{ url: string; status: number; html: string }> {
    let answer = await this.go(url, form);
    for (let hops = 0; answer.location && hops < 15; hops++) answer = await this.go(answer.location);
    return answer;
  }
}

const unescape = (value: string) => value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');

/** The forms of a page: action (absolute) and the values of their inputs. */
function forms(html: string, base: string): Array<{ action: string; fields: Record<string, string> }> {
  return [...html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/gi)].map((match) => {
    const fields: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input ([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      if (name) fields[name] = unescape(/value="([^"]*)"/.exec(input[1]!)?.[1] ?? '');
    }
    return { action: new URL(unescape(match[1]!), base).href, fields };
  });
}

function form(page: { url: string; html: string }, actionEnds: string | RegExp): { action: string; fields: Record<string, string> } {
  const found = forms(page.html, page.url).find((candidate) => (typeof actionEnds === 'string' ? candidate.action.endsWith(actionEnds) : actionEnds.test(candidate.action)));
  if (!found) throw new Error(`no form ${String(actionEnds)} on ${page.url}: ${page.html.slice(0, 400)}`);
  return found;
}

describe('connected accounts: per-user upstream OAuth through the full stack, two gateway replicas', () => {
  let stack: FullStack;
  let upstream: OAuthUpstream;
  let provider: MemoryOAuthProvider;
  const clients: Client[] = [];
  /** Every Airlock access token the MCP clients held. */
  const airlockTokens = new Set<string>();

  /** A new MCP session of the demo user on one replica; `urlElicitation` declares `elicitation.url`. */
  async function session(replica: number, urlElicitation: boolean): Promise<Client> {
    const url = new URL(stack.serverUrl('notes'));
    url.host = new URL(stack.replicaUrls[replica]!).host;
    const client = new Client({ name: 'connected-accounts-test', version: '1.0.0' }, { capabilities: urlElicitation ? { elicitation: { url: {} } } : {} });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    clients.push(client);
    if (provider.saved?.access_token) airlockTokens.add(provider.saved.access_token);
    return client;
  }

  /** The user's browser (shared by the tests: signed in at Airlock and at the upstream once). */
  const browser = new Browser();

  /** Connects again through whatever pages come (Airlock sign-in or confirm, upstream sign-in or consent); returns the final page. */
  async function reconnect(server = 'notes'): Promise<{ url: string; status: number; html: string }> {
    const connectUrl = `${stack.authUrl}/t/${TENANT}/connect/${server}`;
    let page = await browser.follow(connectUrl);
    for (let step = 0; step < 6; step++) {
      if (page.url.startsWith(`${connectUrl}/callback?`)) return page;
      const all = forms(page.html, page.url);
      const next =
        all.find((f) => f.action.endsWith(`/connect/${server}/login`)) ??
        all.find((f) => f.action.endsWith(`/connect/${server}`)) ??
        all.find((f) => f.action.endsWith('/login')) ??
        all.find((f) => f.action.endsWith('/consent'));
      if (!next) throw new Error(`unexpected page ${page.url}: ${page.html.slice(0, 400)}`);
      const credentials: Record<string, string> = next.action.endsWith(`/connect/${server}/login`) ? { email: USER.email, password: USER.password } : next.action.endsWith('/login') ? { username: 'alice', password: 'alice-password' } : {};
      page = await browser.follow(next.action, { ...next.fields, ...credentials });
    }
    throw new Error('the connection did not finish');
  }

  /** A 2026-07-28 tools/call (no session) with the user's Airlock token, answered as JSON or one SSE message. */
  async function modernCall(): Promise<{ status: number; message: Record<string, unknown> }> {
    const token = provider.saved!.access_token;
    airlockTokens.add(token);
    const response = await fetch(stack.serverUrl('notes'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'whoami' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
      }),
    });
    const text = await response.text();
    const data = (response.headers.get('content-type') ?? '').includes('text/event-stream') ? (/^data: ?(.*)$/m.exec(text)?.[1] ?? '{}') : text;
    return { status: response.status, message: JSON.parse(data) as Record<string, unknown> };
  }

  const account = async () =>
    (await stack.db.pg.query<{ tokens_encrypted: string; expires_at: Date | null; scopes: string[]; refreshed_at: Date | null }>(
      `SELECT a.tokens_encrypted, a.expires_at, a.scopes, a.refreshed_at FROM connected_accounts a JOIN upstream_servers s ON s.id = a.server_id WHERE s.name = 'notes'`,
    )).rows;

  beforeAll(async () => {
    upstream = await startOAuthUpstream({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS });
    stack = await startFullStack([{ name: 'notes', url: upstream.url, credentialKind: 'oauth_user' }], { gatewayReplicas: 2 });
    // The demo user signs in to Airlock with the SDK's OAuth flow (the Airlock token the upstream must never see).
    provider = new MemoryOAuthProvider('connected accounts e2e');
    const first = new StreamableHTTPClientTransport(new URL(stack.serverUrl('notes')), { authProvider: provider });
    await expect(new Client({ name: 'connected-accounts-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const callback = await signInAndApprove(provider.authorizationUrl!, USER);
    await first.finishAuth(callback.searchParams.get('code')!);
  });
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await stack?.close();
    await upstream?.close();
  });

  it('asks to connect, connects through the upstream authorization server, calls with its token, refreshes once under load, and asks again after a disconnect', async () => {
    const connectUrl = `${stack.authUrl}/t/${TENANT}/connect/notes`;

    // 1. No account yet: URL elicitation for a client that supports it, a tool error with the link otherwise.
    const capable = await session(0, true);
    const refused = await capable.callTool({ name: 'whoami', arguments: {} }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; data?: { elicitations?: Array<Record<string, unknown>> } },
    );
    expect(refused?.code).toBe(-32042);
    expect(refused?.data?.elicitations).toEqual([expect.objectContaining({ mode: 'url', url: connectUrl, elicitationId: expect.any(String), message: expect.stringContaining(connectUrl) })]);
    const plain = await session(1, false);
    const toolError = await plain.callTool({ name: 'whoami', arguments: {} });
    expect(toolError.isError).toBe(true);
    expect(JSON.stringify(toolError.content)).toContain(connectUrl);
    // A 2026-07-28 (stateless) client: an error whose message carries the link.
    const modern = await modernCall();
    expect(modern.message['error'], JSON.stringify(modern)).toMatchObject({ message: expect.stringContaining(connectUrl) });
    expect(upstream.calls).toEqual([]);

    // 2. The user follows the link: signs in at Airlock, confirms, consents at the upstream, comes back.
    let page = await browser.follow(connectUrl);
    expect(page.status).toBe(200);
    const signIn = form(page, '/connect/notes/login');
    page = await browser.follow(signIn.action, { ...signIn.fields, email: USER.email, password: USER.password });
    const connect = form(page, /\/connect\/notes$/);
    expect(page.html).toContain(upstream.url);
    let answer = await browser.go(connect.action, connect.fields);
    expect(answer.status).toBe(303);
    const authorize = new URL(answer.location!);
    expect(authorize.origin).toBe(upstream.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('resource')).toBe(upstream.url);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${connectUrl}/callback`);
    expect(authorize.searchParams.get('scope')).toBe(UPSTREAM_SCOPE);
    expect(upstream.registrations).toBe(1);
    page = await browser.follow(authorize.href);
    const upstreamLogin = form(page, '/login');
    page = await browser.follow(upstreamLogin.action, { ...upstreamLogin.fields, username: 'alice', password: 'alice-password' });
    const consent = form(page, '/consent');
    page = await browser.follow(consent.action, consent.fields);
    expect(page.url.startsWith(`${connectUrl}/callback?`), `${page.url} ${page.status} ${page.html.slice(0, 600)}`).toBe(true);
    expect(page.status, page.html.slice(0, 500)).toBe(200);
    expect(page.html).toContain('Your notes account is connected');
    expect(page.html).toContain(UPSTREAM_SCOPE);
    expect(upstream.codeGrants).toBe(1);
    // A replayed callback finds nothing.
    answer = await browser.go(page.url);
    expect(answer.status).toBe(400);

    // Stored sealed: no token in the clear.
    const [stored] = await account();
    expect(stored?.tokens_encrypted.startsWith('v1.')).toBe(true);
    expect(stored?.scopes).toEqual([UPSTREAM_SCOPE]);

    // 3. The call goes through with the upstream's own token for alice, on both kinds of client.
    expect(await capable.callTool({ name: 'whoami', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'notes of alice' }] });
    expect(await plain.callTool({ name: 'whoami', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'notes of alice' }] });

    expect(await modernCall()).toMatchObject({ status: 200, message: { result: { content: [{ type: 'text', text: 'notes of alice' }] } } });

    // 4. The access token expires; 20 concurrent calls on two replicas refresh it exactly once.
    const expiresAt = (await account())[0]!.expires_at!.getTime();
    const refreshesBefore = upstream.refreshes;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
    const sessions = [await session(0, true), await session(1, true)];
    const results = await Promise.all(Array.from({ length: CONCURRENT_CALLS }, (_, i) => sessions[i % 2]!.callTool({ name: 'whoami', arguments: {} })));
    for (const result of results) expect(result).toMatchObject({ content: [{ type: 'text', text: 'notes of alice' }] });
    expect(upstream.refreshes - refreshesBefore).toBe(1);
    const [refreshed] = await account();
    expect(refreshed?.refreshed_at).not.toBeNull();
    expect(refreshed!.expires_at!.getTime()).toBeGreaterThan(expiresAt);

    // 5. Disconnect on the account page: revoked at the upstream, deleted; the next call asks again, on every replica.
    page = await browser.follow(`${stack.authUrl}/t/${TENANT}/account`);
    expect(page.html).toContain('Connected accounts');
    const disconnect = form(page, '/account/disconnect');
    const revocationsBefore = upstream.revocations;
    page = await browser.follow(disconnect.action, disconnect.fields);
    expect(page.html).toContain('Account disconnected');
    expect(await account()).toEqual([]);
    expect(upstream.revocations).toBeGreaterThan(revocationsBefore);
    const callsBefore = upstream.calls.length;
    for (const client of sessions) {
      await expect(client.callTool({ name: 'whoami', arguments: {} })).rejects.toMatchObject({ code: -32042 });
    }
    expect((await plain.callTool({ name: 'whoami', arguments: {} })).isError).toBe(true);
    expect(upstream.calls.length).toBe(callsBefore);

    // 6. The upstream saw only tokens its own authorization server issued for it, never an Airlock token.
    expect(airlockTokens.size).toBeGreaterThan(0);
    expect(upstream.seen.length).toBeGreaterThan(0);
    const jwks = createRemoteJWKSet(new URL(`${upstream.issuer}/jwks`));
    for (const header of upstream.seen) {
      const token = header.replace(/^Bearer /, '');
      expect(airlockTokens.has(token)).toBe(false);
      expect(decodeJwt(token).iss).toBe(upstream.issuer);
      // Signed by the upstream's authorization server, for the upstream (expiry aside: some were sent just as they expired).
      await expect(jwtVerify(token, jwks, { issuer: upstream.issuer, audience: upstream.url, clockTolerance: 3600 })).resolves.toBeDefined();
    }
  });

  it('refreshes a token the upstream refuses, asks again when the refresh is refused, and forgets the account when the user is disabled', async () => {
    const client = await session(0, true);
    expect((await reconnect()).html).toContain('Your notes account is connected');
    expect(await client.callTool({ name: 'whoami', arguments: {} })).toMatchObject({ content: [{ text: 'notes of alice' }] });

    // The upstream refuses a token that has not expired (revoked on its side): one refresh, the call sent again.
    const current = upstream.seen.at(-1)!.replace(/^Bearer /, '');
    upstream.refused.add(current);
    const refreshesBefore = upstream.refreshes;
    const sentBefore = upstream.seen.filter((header) => header === `Bearer ${current}`).length;
    expect(await client.callTool({ name: 'whoami', arguments: {} })).toMatchObject({ content: [{ text: 'notes of alice' }] });
    // It was sent, refused, refreshed once, and the call sent again with the new token.
    expect(upstream.seen.filter((header) => header === `Bearer ${current}`).length).toBeGreaterThan(sentBefore);
    expect(upstream.refreshes - refreshesBefore).toBe(1);
    expect(upstream.seen.at(-1)).not.toBe(`Bearer ${current}`);

    // The refresh itself is refused: the tokens are deleted and the user is asked to connect again.
    upstream.refused.add(upstream.seen.at(-1)!.replace(/^Bearer /, ''));
    upstream.failTokenRequests = true;
    await expect(client.callTool({ name: 'whoami', arguments: {} })).rejects.toMatchObject({ code: -32042 });
    expect(await account()).toEqual([]);
    upstream.failTokenRequests = false;

    // Connected again, then the user is disabled (the deprovisioning path: signed out everywhere): the account goes.
    expect((await reconnect()).html).toContain('Your notes account is connected');
    expect(await account()).toHaveLength(1);
    const revocationsBefore = upstream.revocations;
    const admin = await adminApi(stack.authUrl);
    const { rows } = await stack.db.pg.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [USER.email]);
    const disabled = await admin.call('PATCH', `/tenants/${TENANT}/users/${rows[0]!.id}`, { disabled: true });
    expect(disabled.status, JSON.stringify(disabled.json)).toBe(200);
    expect(await account()).toEqual([]);
    // Revoked at the upstream in the background.
    for (let waited = 0; upstream.revocations === revocationsBefore && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.revocations).toBeGreaterThan(revocationsBefore);
  });

  it('uses a client the admin pre-registered (no dynamic registration), and removing the server removes its accounts', async () => {
    const admin = await adminApi(stack.authUrl);
    const { rows } = await stack.db.pg.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [USER.email]);
    expect((await admin.call('PATCH', `/tenants/${TENANT}/users/${rows[0]!.id}`, { disabled: false })).status).toBe(200);
    // The operator registers Airlock at the upstream's authorization server by hand, then configures the server with it.
    const registered = (await (
      await fetch(`${upstream.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: [`${stack.authUrl}/t/${TENANT}/connect/notes-pre/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        }),
      })
    ).json()) as { client_id: string; client_secret: string };
    const created = await admin.call('POST', `/tenants/${TENANT}/servers`, {
      name: 'notes-pre',
      transport: 'http',
      url: upstream.url,
      credentialKind: 'oauth_user',
      secrets: { oauthClient: { clientId: registered.client_id, clientSecret: registered.client_secret, authorizationServer: upstream.issuer } },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ credentialKind: 'oauth_user', hasSecrets: true });
    // A secret shape that does not fit the kind is refused.
    expect((await admin.call('POST', `/tenants/${TENANT}/servers`, { name: 'notes-bad', transport: 'http', url: upstream.url, credentialKind: 'oauth_user', secrets: { header: { name: 'x', value: 'y' } } })).status).toBe(400);

    const registrations = upstream.registrations;
    const codeGrants = upstream.codeGrants;
    const connected = await reconnect('notes-pre');
    expect(connected.html, connected.html.replace(/<style[\s\S]*?<\/style>/, '').slice(0, 1500)).toContain('Your notes-pre account is connected');
    expect(upstream.registrations).toBe(registrations);
    expect(upstream.codeGrants).toBe(codeGrants + 1);
    const accounts = async () => (await stack.db.pg.query(`SELECT 1 FROM connected_accounts a JOIN upstream_servers s ON s.id = a.server_id WHERE s.name = 'notes-pre'`)).rowCount;
    expect(await accounts()).toBe(1);
    const serverId = String(created.json['id']);
    expect((await stack.db.pg.query('SELECT 1 FROM upstream_oauth_clients WHERE server_id = $1', [serverId])).rowCount).toBe(1);

    // Removing the server removes the accounts at it and its client there (foreign keys).
    expect((await admin.call('DELETE', `/tenants/${TENANT}/servers/notes-pre`)).status).toBe(204);
    expect((await stack.db.pg.query('SELECT 1 FROM connected_accounts WHERE server_id = $1', [serverId])).rowCount).toBe(0);
    expect((await stack.db.pg.query('SELECT 1 FROM upstream_oauth_clients WHERE server_id = $1', [serverId])).rowCount).toBe(0);
  });
});
