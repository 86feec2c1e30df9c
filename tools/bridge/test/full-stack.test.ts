import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BRIDGE_MAIN, USER, startFixture, startFullStack } from './support/full-stack.js';
import type { FullStack } from './support/full-stack.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';

// End to end through the real auth server: the official SDK client meets the gateway's 401, discovers
// the tenant's authorization server from the gateway's RFC 9728 metadata, registers, signs the demo user
// in through the real login and consent pages, and uses the token on the gateway, whose sessions now
// live in the real session store. Then the same through the stdio bridge CLI.


async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function oauthConnect(url: string): Promise<{ client: Client; provider: MemoryOAuthProvider }> {
  const provider = new MemoryOAuthProvider('gateway e2e');
  const first = new Client({ name: 'e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  const authorizationUrl = provider.authorizationUrl!;
  expect(authorizationUrl.searchParams.get('resource')).toBe(url);
  const callback = await signInAndApprove(authorizationUrl, USER);
  await transport.finishAuth(callback.searchParams.get('code')!);
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  return { client, provider };
}

describe('full stack: SDK client OAuth through the auth server, gateway, session store, upstream', () => {
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let exchanged: { url: string; child: ChildProcess };

  beforeAll(async () => {
    fixture = await startFixture();
    exchanged = await startFixture();
    stack = await startFullStack([
      { name: 'web', url: fixture.url },
      { name: 'exchanged', url: exchanged.url, credentialKind: 'token_exchange' },
    ]);
  });
  afterAll(async () => {
    await stack?.close();
    fixture?.child.kill();
    exchanged?.child.kill();
  });

  it('signs in with OAuth and uses the aggregated and per-server endpoints; sessions live in the session store', async () => {
    for (const url of [stack.aggregatedUrl, stack.serverUrl('web')]) {
      const { client, provider } = await oauthConnect(url);
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        names.push(...page.tools.map((tool) => tool.name));
        cursor = page.nextCursor;
      } while (cursor);
      const echo = url === stack.aggregatedUrl ? 'web__echo' : 'echo';
      expect(names).toContain(echo);
      expect(await client.callTool({ name: echo, arguments: { text: 'through everything' } })).toMatchObject({ content: [{ text: 'through everything' }] });
      const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
      // The session store owns the session: its durable record (written off the request path) names the client.
      const stored = await until(async () => {
        const { rows } = await stack.db.pg.query<{ client_id: string; state: string; kind: string }>('SELECT client_id, state, kind FROM sessions WHERE id = $1', [sessionId]);
        return rows[0];
      });
      expect(stored).toMatchObject({ client_id: (provider.info as { client_id: string }).client_id, kind: 'mcp' });
      await (client.transport as StreamableHTTPClientTransport).terminateSession();
      const ended = await until(async () => {
        const { rows } = await stack.db.pg.query<{ state: string }>("SELECT state FROM sessions WHERE id = $1 AND state <> 'active'", [sessionId]);
        return rows[0];
      });
      expect(ended.state).toBe('revoked');
      await client.close();
    }
  });

  it('calls a token-exchange upstream with a token issued for it (user as subject, gateway as actor), not the user token', async () => {
    const { client, provider } = await oauthConnect(stack.serverUrl('exchanged'));
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const seen = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as { authorization: string | null };
    const token = /^Bearer (.+)$/.exec(seen.authorization ?? '')?.[1];
    expect(token).toBeDefined();
    expect(token).not.toBe(provider.saved!.access_token);
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const user = JSON.parse(Buffer.from(provider.saved!.access_token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: exchanged.url, sub: user['sub'], act: { sub: 'airlock-gateway' } });
    await client.close();
  });

  it('serves a local stdio client through the bridge CLI, which signs in with a loopback redirect and keeps tokens 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-bridge-'));
    const tokenFile = join(dir, 'tokens.json');
    const transport = new StdioClientTransport({ command: process.execPath, args: [BRIDGE_MAIN, 'connect', stack.serverUrl('web'), '--token-file', tokenFile, '--loopback-port', '0'], stderr: 'pipe' });
    const signedIn = new Promise<void>((resolve, reject) => {
      let seen = '';
      transport.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        const match = /Sign in to Airlock: open (\S+)/.exec(seen);
        if (match) {
          seen = '';
          // The "browser": sign in, then follow the redirect to the bridge's loopback listener.
          void signInAndApprove(new URL(match[1]!), USER)
            .then((callback) => fetch(callback))
            .then(() => resolve(), reject);
        }
      });
    });
    const client = new Client({ name: 'local-app', version: '1.0.0' });
    await client.connect(transport);
    await signedIn;
    expect(await client.callTool({ name: 'echo', arguments: { text: 'via bridge' } })).toMatchObject({ content: [{ text: 'via bridge' }] });
    const saved = JSON.parse(await readFile(tokenFile, 'utf8')) as Record<string, { tokens?: { access_token?: string } }>;
    expect(saved[stack.serverUrl('web')]?.tokens?.access_token).toBeTruthy();
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });
});
