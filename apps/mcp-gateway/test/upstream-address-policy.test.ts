import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HostResolver } from '@airlock/egress';
import type { ResolvedAddress } from '@airlock/egress';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { initializeBody, post } from './support/raw-mcp.js';

// The upstream address policy at connect time: the gateway checks the address a name resolves to when it
// connects (not what it resolved to when the upstream was registered), every redirect hop, and the
// client-credentials token POST, which never leaves for a refused address. Loopback is not allowed by
// default: this world allows exactly the fixture's host names, no CIDR.

/** DNS the test owns: names it does not own answer what the test says, now. */
class TestResolver extends HostResolver {
  readonly answers = new Map<string, string>();
  override async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const address = this.answers.get(hostname);
    if (!address) throw new Error(`no test answer for ${hostname}`);
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  }
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('upstream address policy at connect time', () => {
  const resolver = new TestResolver();
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let redirector: Awaited<ReturnType<typeof listen>>;
  let tokenServer: Awaited<ReturnType<typeof listen>>;
  let tokenRequests = 0;
  let redirectTo = '';

  beforeAll(async () => {
    fixture = await startFixtureProcess();
    const fixtureUrl = new URL(fixture.url);
    const at = (host: string) => `${fixtureUrl.protocol}//${host}:${fixtureUrl.port}${fixtureUrl.pathname}`;
    redirector = await listen((_req, res) => {
      res.writeHead(307, { location: redirectTo }).end();
    });
    tokenServer = await listen((_req, res) => {
      tokenRequests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'leaked', expires_in: 300 }));
    });
    // Allowed by name, each on its port: the fixture under two names, and the redirector.
    // The fixture answers only loopback Host names: `localhost`, answered by the test's DNS.
    resolver.answers.set('localhost', '127.0.0.1');
    resolver.answers.set('metadata-alias', '169.254.169.254');
    resolver.answers.set('sneaky', '127.0.0.1');
    world = await startGatewayWorld(
      { egressResolver: resolver },
      {
        AIRLOCK_UPSTREAM_ALLOW_CIDRS: '',
        AIRLOCK_UPSTREAM_ALLOW_HOSTS: `localhost:${fixtureUrl.port},metadata-alias:${fixtureUrl.port},127.0.0.1:${redirector.port}`,
      },
    );
    await world.addUpstream({ name: 'named', transport: 'http', url: at('localhost') });
    // Allowed by name, but the name resolves to the metadata address when the gateway connects.
    await world.addUpstream({ name: 'metadata', transport: 'http', url: at('metadata-alias') });
    // A name nobody allowed, resolving to the loopback at connect time.
    await world.addUpstream({ name: 'sneaky', transport: 'http', url: at('sneaky') });
    // The token URL is allowed; it redirects (307 keeps the POST and its client secret) to a refused one.
    await world.addUpstream({
      name: 'cc-redirected',
      transport: 'http',
      url: at('localhost'),
      credentialKind: 'client_credentials',
      secrets: { tokenUrl: `http://127.0.0.1:${redirector.port}/token`, clientId: 'gw', clientSecret: 'gw-secret' },
    });
    await world.addUpstream({
      name: 'cc',
      transport: 'http',
      url: at('localhost'),
      credentialKind: 'client_credentials',
      secrets: { tokenUrl: `http://127.0.0.1:${tokenServer.port}/token`, clientId: 'gw', clientSecret: 'gw-secret' },
    });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
    await redirector?.close();
    await tokenServer?.close();
  });

  async function initialize(name: string): Promise<{ text: string; session: string | null }> {
    const url = world.serverUrl(name);
    const response = await post(url, initializeBody(), { authorization: `Bearer ${await world.token(url)}` });
    return { text: await response.text(), session: response.headers.get('mcp-session-id') };
  }

  function expectRefused(answer: { text: string; session: string | null }, upstream: string, reason: RegExp) {
    expect(answer.text, JSON.stringify(world.logs.slice(-3))).toContain('"code":-32603');
    expect(answer.text, JSON.stringify(world.logs.slice(-4))).toContain("egress policy");
    expect(answer.text).not.toMatch(/169\.254|127\.0\.0\.1|stack|at \//);
    expect(answer.session).toBeNull();
    // The operator's log says which upstream and why, without a stack.
    const logged = world.logs.filter((record) => record['upstream'] === upstream && record.msg === 'upstream connection refused by the egress policy');
    expect(logged.at(-1)?.['reason']).toMatch(reason);
    expect(JSON.stringify(logged)).not.toMatch(/"stack"/);
  }

  it('connects to an upstream allowed by host name (the control)', async () => {
    const url = world.serverUrl('named');
    const client = new Client({ name: 'egress', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${await world.token(url)}` } } }));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it('refuses a name that resolves to the metadata address at connect time, though the name is allowed', async () => {
    expectRefused(await initialize('metadata'), 'metadata', /metadata-alias \(169\.254\.169\.254\) is a link-local/);
  });

  it('refuses a name that is not allowed and resolves to the loopback at connect time', async () => {
    expectRefused(await initialize('sneaky'), 'sneaky', /sneaky \(127\.0\.0\.1\) is a loopback address/);
  });

  it('refuses a redirect of the token POST from an allowed URL to a refused address, at every hop', async () => {
    // A live token endpoint: only the policy stands between the redirect and it.
    redirectTo = `http://127.0.0.1:${tokenServer.port}/token`;
    expectRefused(await initialize('cc-redirected'), 'cc-redirected', /^127\.0\.0\.1 is a loopback address/);
    redirectTo = 'http://169.254.169.254/token';
    expectRefused(await initialize('cc-redirected'), 'cc-redirected', /^169\.254\.169\.254 is a link-local/);
    expect(tokenRequests).toBe(0);
  });

  it('never sends the client_credentials token POST to a refused address', async () => {
    expectRefused(await initialize('cc'), 'cc', /^127\.0\.0\.1 is a loopback address/);
    expect(tokenRequests).toBe(0);
  });
});
