import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import { BOOTSTRAP_ADMIN as ADMIN } from './support/admin-and-tokens.js';
import { TENANT, USER, startFixture, startFullStack, type FullStack } from './support/full-stack.js';

// SCIM deprovisioning against the real stack (auth server, session store, gateway, an MCP upstream): a
// user with a live MCP session (official SDK client, signed in through the browser flow) is deprovisioned
// by the tenant's provisioning client, and the very session is refused within one second.

const DEPROVISION_BUDGET_MS = 1000;

describe('SCIM deprovisioning through the full stack', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let scimToken: string;
  let adminToken: string;

  const scim = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.authUrl}/scim/v2/t/${TENANT}${path}`, {
      method,
      headers: { authorization: `Bearer ${scimToken}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> & { Resources?: Array<Record<string, unknown>> } };
  };

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.authUrl}/admin/v1/tenants/${TENANT}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  /** Signs a user in with the SDK's OAuth flow and opens a live MCP session that has already called a tool. */
  const liveSession = async (user: { email: string; password: string }) => {
    const url = new URL(stack.serverUrl('web'));
    const provider = new MemoryOAuthProvider(`scim e2e ${user.email}`);
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await expect(new Client({ name: 'scim-e2e', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const callback = await signInAndApprove(provider.authorizationUrl!, user);
    await first.finishAuth(callback.searchParams.get('code')!);
    const client = new Client({ name: 'scim-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    expect(await client.callTool({ name: 'echo', arguments: { text: 'before' } })).toMatchObject({ content: [{ type: 'text' }] });
    return { client, provider, url };
  };

  /** Calls the tool until the gateway refuses; returns ms from `since` to the first refusal. */
  const refusedAfter = async (client: Client, since: number): Promise<number> => {
    for (;;) {
      const refused = await client.callTool({ name: 'echo', arguments: { text: 'after' } }).then(
        () => false,
        () => true,
      );
      if (refused) return performance.now() - since;
      if (performance.now() - since > 5 * DEPROVISION_BUDGET_MS) throw new Error('the session was never refused');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  /** The user's grants (consents) that are still live: none after deprovisioning. */
  const liveGrants = async (userId: string): Promise<number> => {
    const { rows } = await stack.db.pg.query<{ live: string }>('SELECT count(*) AS live FROM consents WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return Number(rows[0]?.live);
  };

  /** A new session with the same tokens is refused too (the grant is gone, not only the session). */
  const expectNoNewSession = async (provider: MemoryOAuthProvider, url: URL) => {
    await expect(new Client({ name: 'scim-e2e', version: '1.0.0' }).connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))).rejects.toThrow();
  };

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }]);
    const issued = await fetch(`${stack.authUrl}/t/admin/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN.id}:${ADMIN.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    adminToken = String(((await issued.json()) as { access_token: string }).access_token);
    const created = await admin('POST', '/scim-tokens', {});
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    scimToken = String(created.json['token']);
  });
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
  });

  it('PATCH active=false (as Entra ID sends it) refuses the live MCP session within 1 s', async () => {
    const { client, provider, url } = await liveSession(USER);
    const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${USER.email}"`)}`);
    const id = String(found.json.Resources?.[0]?.['id']);
    expect(await liveGrants(id)).toBeGreaterThan(0);

    const started = performance.now();
    const patched = await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    const answered = performance.now() - started;
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect(patched.json['active']).toBe(false);
    expect(await liveGrants(id)).toBe(0);
    const refused = await refusedAfter(client, started);
    console.info(`SCIM PATCH active=false: answered in ${answered.toFixed(0)} ms, live MCP session refused ${refused.toFixed(0)} ms after the request was sent`);
    expect(refused).toBeLessThan(DEPROVISION_BUDGET_MS);
    await expectNoNewSession(provider, url);
    await client.close().catch(() => undefined);
  });

  it('DELETE of the user refuses the live MCP session within 1 s', async () => {
    const person = { email: 'leaver@airlock.local', password: 'leaver-password-0123' };
    const made = await admin('POST', '/users', person);
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    const { client, provider, url } = await liveSession(person);
    expect(await liveGrants(String(made.json['id']))).toBeGreaterThan(0);

    const started = performance.now();
    const deleted = await scim('DELETE', `/Users/${String(made.json['id'])}`);
    const answered = performance.now() - started;
    expect(deleted.status).toBe(204);
    const refused = await refusedAfter(client, started);
    console.info(`SCIM DELETE: answered in ${answered.toFixed(0)} ms, live MCP session refused ${refused.toFixed(0)} ms after the request was sent`);
    expect(refused).toBeLessThan(DEPROVISION_BUDGET_MS);
    await expectNoNewSession(provider, url);
    await client.close().catch(() => undefined);
  });
});
