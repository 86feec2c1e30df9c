import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import { adminApi } from './support/admin-and-tokens.js';
import type { AdminApi } from './support/admin-and-tokens.js';
import { TENANT, USER, startFixture, startFullStack, type FullStack } from './support/full-stack.js';
import { scimRequest } from './support/scim-request.js';

// A default-deny tenant with one allow rule on a group, through the real auth server, SCIM, gateway and an
// upstream (issue 17): the user signs in through the login and consent pages and is refused; the identity
// provider adds the user to the group over SCIM; the token the user already holds is still refused (groups
// are read when a token is issued), the next one (a refresh) is allowed; removed from the group, the next
// token is refused again.

const ONE_ALLOW_RULE = `@id("eng-may-echo")
permit (principal in Group::"eng", action == Action::"call_tool", resource == Tool::"web/echo");
`;

describe('call policy: a group change through SCIM takes effect at the next token', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let api: AdminApi;
  let scimToken: string;

  const scim = (method: string, path: string, body?: unknown) => scimRequest(`${stack.authUrl}/scim/v2/t/${TENANT}`, scimToken, method, path, body);

  /** A new session with exactly this access token (no refresh: what the token says is what the gateway sees). */
  const callEcho = async (url: URL, accessToken: string): Promise<unknown> => {
    const client = new Client({ name: 'policy-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
    try {
      return await client.callTool({ name: 'echo', arguments: { text: 'hi' } }).catch((error: unknown) => error);
    } finally {
      await client.close().catch(() => undefined);
    }
  };

  /** The next token: a refresh at the token endpoint, as the SDK does when its access token expires. */
  const nextToken = async (provider: MemoryOAuthProvider, resource: string): Promise<string> => {
    const response = await fetch(`${stack.authUrl}/t/${TENANT}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: provider.saved!.refresh_token!, client_id: provider.info!.client_id, resource }),
    });
    const json = (await response.json()) as { access_token?: string; refresh_token?: string };
    expect(response.status, JSON.stringify(json)).toBe(200);
    provider.saveTokens({ ...provider.saved!, access_token: json.access_token!, ...(json.refresh_token ? { refresh_token: json.refresh_token } : {}) });
    return json.access_token!;
  };

  const groupsOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { groups?: string[] }).groups;

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }]);
    api = await adminApi(stack.authUrl);
    const created = await api.call('POST', `/tenants/${TENANT}/scim-tokens`, {});
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    scimToken = String(created.json['token']);
    const saved = await api.call('PUT', `/tenants/${TENANT}/call-policy`, { cedar: ONE_ALLOW_RULE, defaultEffect: 'deny' });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
  });
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
  });

  it('refused outside the group, allowed from the next token after SCIM adds the user, refused again from the next token after SCIM removes them', async () => {
    const url = new URL(stack.serverUrl('web'));
    const provider = new MemoryOAuthProvider('policy e2e');
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await expect(new Client({ name: 'policy-e2e', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    await first.finishAuth((await signInAndApprove(provider.authorizationUrl!, USER)).searchParams.get('code')!);
    const outside = provider.saved!.access_token;
    expect(groupsOf(outside)).toBeUndefined();
    const refused = (await callEcho(url, outside)) as Error;
    expect(refused).toBeInstanceOf(Error);
    expect(refused.message).toContain('no rule allowed this call (tenant default: deny)');

    // The identity provider puts the user in `eng`.
    const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${USER.email}"`)}`);
    const userId = String(found.json.Resources?.[0]?.['id']);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'eng', members: [{ value: userId }] });
    expect(group.status, JSON.stringify(group.json)).toBe(201);

    // The token already held still says what it said: refused. The next one carries the group: allowed.
    expect(await callEcho(url, outside)).toBeInstanceOf(Error);
    const inside = await nextToken(provider, url.href);
    expect(groupsOf(inside)).toEqual(['eng']);
    expect(await callEcho(url, inside)).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });

    // Removed from the group: the next token is refused again.
    const removed = await scim('PATCH', `/Groups/${String(group.json['id'])}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }],
    });
    expect(removed.status, JSON.stringify(removed.json)).toBeLessThan(300);
    const after = await nextToken(provider, url.href);
    expect(groupsOf(after)).toBeUndefined();
    expect(((await callEcho(url, after)) as Error).message).toContain('no rule allowed this call');

    // Every decision is in the tenant's audit log (written off the request path), the allowed one naming the rule.
    const decisions = async () =>
      (
        await stack.db.pg.query<{ outcome: string; details: Record<string, unknown> }>(
          `SELECT outcome, details FROM audit_events WHERE action = 'mcp.tools.call' AND target = 'web/echo' ORDER BY occurred_at`,
        )
      ).rows.map((row) => [row.outcome, row.details['reason'] ?? null, row.details['policyRule'] ?? null]);
    await expect
      .poll(decisions, { timeout: 15_000 })
      .toEqual([
        ['refused', 'policy_denied', null],
        ['refused', 'policy_denied', null],
        ['success', null, 'eng-may-echo'],
        ['refused', 'policy_denied', null],
      ]);
  });
});
