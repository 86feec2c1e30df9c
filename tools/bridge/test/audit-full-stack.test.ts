import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { USER, startFixture, startFullStack } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';

// The audit trail end to end: every tools/call through the gateway becomes exactly one audit_events row,
// via the gateway's batched audit jobs and the session store's worker (the gateway's own tests stop at the
// queue, the session store's at the writer).


async function signIn(url: string): Promise<MemoryOAuthProvider> {
  const provider = new MemoryOAuthProvider('audit e2e');
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  await expect(new Client({ name: 'audit', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  const callback = await signInAndApprove(provider.authorizationUrl!, USER);
  await transport.finishAuth(callback.searchParams.get('code')!);
  return provider;
}

describe('audit trail through the full stack', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };

  beforeAll(async () => {
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }]);
  });
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
  });

  it('writes one audit_events row per tools/call, from concurrent sessions', async () => {
    const url = stack.serverUrl('web');
    const provider = await signIn(url);
    const clients = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const client = new Client({ name: 'audit', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
        return client;
      }),
    );
    const CALLS = 10;
    await Promise.all(clients.map(async (client) => {
      for (let i = 0; i < CALLS; i++) await client.callTool({ name: 'echo', arguments: { text: `audited ${i}` } });
    }));
    const sessions = clients.map((client) => (client.transport as StreamableHTTPClientTransport).sessionId!);
    await Promise.all(clients.map((client) => client.close()));

    const count = async () =>
      Number((await stack.db.pg.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE action = 'mcp.tools.call' AND details->>'session' = ANY($1)`, [sessions])).rows[0]?.n);
    // Written off the request path (batched in the gateway for up to 50 ms, then by the worker).
    while ((await count()) < sessions.length * CALLS) await new Promise((resolve) => setTimeout(resolve, 50));
    const { rows } = await stack.db.pg.query<{ id: string; session: string; target: string; outcome: string; actor_subject: string | null; actor_client_id: string | null }>(
      `SELECT id, details->>'session' AS session, target, outcome, actor_subject, actor_client_id FROM audit_events WHERE action = 'mcp.tools.call' AND details->>'session' = ANY($1)`,
      [sessions],
    );
    expect(rows).toHaveLength(sessions.length * CALLS);
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    const user = JSON.parse(Buffer.from(provider.saved!.access_token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string };
    for (const session of sessions) expect(rows.filter((row) => row.session === session)).toHaveLength(CALLS);
    for (const row of rows) {
      expect(row).toMatchObject({ target: 'web/echo', outcome: 'success', actor_subject: user.sub, actor_client_id: (provider.info as { client_id: string }).client_id });
    }
  });
});
