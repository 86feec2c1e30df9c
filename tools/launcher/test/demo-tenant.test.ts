import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';
import { launchPlatform } from './support/launched-platform.js';
import type { LaunchedPlatform } from './support/launched-platform.js';

// `npm start` gives the demo tenant something to use: the official SDK client signs the demo user in
// (real login and consent pages) and reaches the in-repo `toolbox` (stdio) and `notes` (HTTP) servers
// through the gateway; `add_note` needs the extra scope `notes:write`, which a plain sign-in lacks.

const USER = { email: 'demo@airlock.local', password: 'operator-chosen-pw-0123' };

async function signedInClient(url: string): Promise<{ client: Client; provider: MemoryOAuthProvider }> {
  const provider = new MemoryOAuthProvider('demo tenant test');
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  await expect(new Client({ name: 'demo-test', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  const callback = await signInAndApprove(provider.authorizationUrl!, USER);
  await transport.finishAuth(callback.searchParams.get('code')!);
  const client = new Client({ name: 'demo-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  return { client, provider };
}

const text = (result: unknown) => ((result as { content: Array<{ text: string }> }).content[0]?.text ?? '');

describe('npm start: the demo tenant', () => {
  let platform: LaunchedPlatform;

  beforeAll(async () => {
    platform = await launchPlatform({ AIRLOCK_DEMO_USER_PASSWORD: USER.password });
  }, 120_000);
  afterAll(async () => {
    expect(await platform?.stop()).toBe(0);
  });

  it('lists the tools of both demo servers to the signed-in demo user and calls them', async () => {
    const { client } = await signedInClient(`${platform.gatewayUrl}/t/demo/mcp`);
    // The aggregated list comes a server per page.
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      names.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(expect.arrayContaining(['toolbox__echo', 'toolbox__uuid', 'toolbox__current_time', 'notes__list_notes', 'notes__add_note']));
    expect(text(await client.callTool({ name: 'toolbox__echo', arguments: { text: 'hello demo' } }))).toBe('hello demo');
    expect(text(await client.callTool({ name: 'notes__list_notes', arguments: {} }))).toBe('No notes yet.');
    await client.close();
  }, 60_000);

  it('refuses add_note to a token without notes:write; after consenting to notes:write it stores the note', async () => {
    const url = `${platform.gatewayUrl}/t/demo/mcp`;
    const { client, provider } = await signedInClient(url);
    expect(String(provider.saved?.scope ?? '').split(' ')).not.toContain('notes:write');
    provider.authorizationUrl = undefined;
    // Without a refresh token to try first, the SDK meets the gateway's 403 insufficient_scope by asking
    // the user to sign in again for the scopes the 403 names.
    delete provider.saved!.refresh_token;
    await expect(client.callTool({ name: 'notes__add_note', arguments: { text: 'first note' } })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl!.searchParams.get('scope')!.split(' ')).toContain('notes:write');
    expect(text(await client.callTool({ name: 'notes__list_notes', arguments: {} }))).toBe('No notes yet.');
    await client.close().catch(() => undefined);

    const stepUp = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    const callback = await signInAndApprove(provider.authorizationUrl!, USER);
    await stepUp.finishAuth(callback.searchParams.get('code')!);
    const writer = new Client({ name: 'demo-test', version: '1.0.0' });
    await writer.connect(stepUp);
    expect(text(await writer.callTool({ name: 'notes__add_note', arguments: { text: 'first note' } }))).toMatch(/^Noted at /);
    expect(text(await writer.callTool({ name: 'notes__list_notes', arguments: {} }))).toContain('first note');
    await writer.close();
  }, 60_000);

  it('prints a demo password the operator supplied nowhere, and says where it came from', () => {
    expect(platform.stdout()).not.toContain(USER.password);
    expect(platform.stdout()).toMatch(/demo user\s+demo@airlock\.local \(password from AIRLOCK_DEMO_USER_PASSWORD\)/);
  });
});
