import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { wellKnownUrl } from '@airlock/contracts';
import { FIXTURE_MAIN, startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

async function connect(url: string, token: string, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

describe('gateway: official SDK client through the gateway to http and stdio upstreams', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    await world.addUpstream({ name: 'local', transport: 'stdio', command: process.execPath, args: [FIXTURE_MAIN, '--stdio'] });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('publishes RFC 9728 metadata for the aggregate and each server, naming the tenant issuer', async () => {
    for (const resource of [world.aggregatedUrl, world.serverUrl('web')]) {
      const response = await fetch(wellKnownUrl(resource, 'oauth-protected-resource'));
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body['resource']).toBe(resource);
      expect(body['authorization_servers']).toEqual([world.issuer.issuer(world.tenant)]);
    }
    expect((await fetch(wellKnownUrl(world.serverUrl('nope'), 'oauth-protected-resource'))).status).toBe(404);
  });

  it('lists and calls tools on a per-server endpoint (http upstream) without passing the user token upstream', async () => {
    const client = await connect(world.serverUrl('web'), await world.token(world.serverUrl('web')));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hello' } })).toMatchObject({ content: [{ type: 'text', text: 'hello' }] });
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    const seen = JSON.parse((whoami.content as Array<{ text: string }>)[0]!.text) as { authorization: string | null };
    expect(seen.authorization).toBeNull();
    await client.close();
  });

  it('aggregates both servers with namespaced tools and routes calls to the right one', async () => {
    const client = await connect(world.aggregatedUrl, await world.token(world.aggregatedUrl));
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      names.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(expect.arrayContaining(['web__echo', 'local__echo']));
    expect(new Set(names).size).toBe(names.length);
    expect(await client.callTool({ name: 'local__echo', arguments: { text: 'via stdio' } })).toMatchObject({ content: [{ text: 'via stdio' }] });
    const read = await client.readResource({ uri: 'web+test://static-text' });
    expect(read.contents[0]).toMatchObject({ uri: 'web+test://static-text', text: 'This is the content of the static text resource.' });
    await client.close();
  });

  it('relays every progress notification before the result, for many concurrent calls over stdio', async () => {
    // The SDK runs notification handlers a microtask after responses; a relay built on its onprogress
    // loses the last progress of a call whose result arrives in the same read.
    const url = world.serverUrl('local');
    const token = await world.token(url);
    const runs = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const client = new Client({ name: 'progress', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
        const seen: number[] = [];
        await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (progress) => void seen.push(progress.progress) });
        await client.close();
        return seen;
      }),
    );
    expect(runs).toEqual(Array.from({ length: 12 }, () => [0, 50, 100]));
  });

  it('relays sampling and elicitation round trips from the upstream to the client', async () => {
    const client = await connect(world.serverUrl('local'), await world.token(world.serverUrl('local')), { sampling: {}, elicitation: {} });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: `echo of ${(request.params.messages[0]!.content as { text: string }).text}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { username: 'alice', email: 'a@example.com' } }));
    expect(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })).toMatchObject({ content: [{ text: 'LLM response: echo of hi' }] });
    const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } });
    expect((elicited.content as Array<{ text: string }>)[0]!.text).toContain('"username":"alice"');
    await client.close();
  });
});
