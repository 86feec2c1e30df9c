import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import { TENANT, USER, startFixture, startFullStack } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';

// The admin API's session routes against the real session store and gateway: a session an MCP client
// opened is listed, and ending it through the admin API ends it at the gateway and in the audit log.

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

describe('admin sessions through the full stack', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let token: string;

  const api = async (method: string, path: string) => {
    const response = await fetch(`${stack.authUrl}/admin/v1/tenants/${TENANT}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as { items?: Array<Record<string, unknown>> } };
  };
  /** Polls (no deadline of its own: the test's timeout is the bound) until `done` holds; a refusal fails at once. */
  const eventually = async <T extends { status: number }>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    for (;;) {
      const value = await read();
      expect(value.status, JSON.stringify(value)).toBe(200);
      if (done(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }]);
    const issued = await fetch(`${stack.authUrl}/t/admin/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN.id}:${ADMIN.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    token = String(((await issued.json()) as { access_token: string }).access_token);
  });
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
  });

  it('lists a live MCP session and ends it: the gateway refuses it, the store no longer knows it, both actions are audited', async () => {
    const url = stack.serverUrl('web');
    const provider = new MemoryOAuthProvider('admin sessions e2e');
    const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    await expect(new Client({ name: 'e2e', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const callback = await signInAndApprove(provider.authorizationUrl!, USER);
    await first.finishAuth(callback.searchParams.get('code')!);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
    await client.callTool({ name: 'echo', arguments: { text: 'before' } });
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const clientId = (provider.info as { client_id: string }).client_id;

    // The durable row is written off the request path (the session store's queued snapshot).
    const listed = await eventually(() => api('GET', `/sessions?client=${encodeURIComponent(clientId)}`), (page) => (page.json.items ?? []).some((item) => item['id'] === sessionId));
    expect(listed.json.items?.find((item) => item['id'] === sessionId)).toMatchObject({ clientId, servers: expect.any(Array) });

    expect((await api('DELETE', `/sessions/${sessionId}`)).status).toBe(204);
    await expect(client.callTool({ name: 'echo', arguments: { text: 'after' } })).rejects.toThrow();
    // The session store itself answers 404 for it now (the admin API passes that on).
    expect((await api('DELETE', `/sessions/${sessionId}`)).status).toBe(404);
    expect((await api('GET', '/sessions')).json.items?.map((item) => item['id'])).not.toContain(sessionId);

    const audit = await eventually(
      () => api('GET', `/audit?client=${encodeURIComponent(clientId)}`),
      (page) => (page.json.items ?? []).some((item) => item['action'] === 'session.revoke' && item['target'] === `session:${sessionId}`),
    );
    expect(audit.json.items?.find((item) => item['action'] === 'session.revoke')).toMatchObject({ outcome: 'success', details: { reason: 'admin', clientId } });
    const admin = await eventually(() => api('GET', '/audit?action=admin.session.revoke'), (page) => (page.json.items ?? []).length > 0);
    expect(admin.json.items?.[0]).toMatchObject({ target: `session:${sessionId}`, actor: { clientId: ADMIN.id } });
    await client.close().catch(() => undefined);
  });
});
