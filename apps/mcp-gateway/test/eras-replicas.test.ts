import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import type { StartedApp } from '@airlock/platform';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// A 2026-07-28 client of a 2025-11-25 upstream across gateway replicas: the upstream's elicitation parks
// the call on the replica that served it (the handle's owner); the client's retry lands on another
// replica, which validates and consumes the handle and forwards the retry to the owner over pub/sub.
// Two gateway replicas in this process: two HTTP servers, two hot-store connections (two Redis clients
// when REDIS_URL is set), one database. A routing fetch plays the load balancer.

const MODERN = '2026-07-28';

describe('parked calls of bridged upstreams across gateway replicas', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let a: StartedApp;
  let b: StartedApp;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'legacy', transport: 'http', url: fixture.url });
    a = world.gateway;
    b = await world.startReplica();
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  const endpoint = (replica: StartedApp) => `${replica.url}/t/${world.tenant}/servers/legacy/mcp`;

  it('SDK 2.x client: the call parks on replica A, the retry with the answer goes to B and gets the tool result', { timeout: 30_000 }, async () => {
    const url = world.serverUrl('legacy');
    const served: Array<{ replica: 'a' | 'b'; retry: boolean }> = [];
    const client = new ModernClient({ name: 'eras-replicas', version: '1.0.0' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: MODERN } } });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String((request.params as { message?: unknown }).message));
      return { action: 'accept', content: { username: 'alice', email: 'alice@example.com' } } as never;
    });
    const token = await world.token(url);
    await client.connect(
      new ModernHttpTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        // Retries (they carry requestState) go to B, everything else to A.
        fetch: async (input, init) => {
          const retry = typeof init?.body === 'string' && init.body.includes('"requestState"');
          const replica = retry ? b : a;
          served.push({ replica: retry ? 'b' : 'a', retry });
          const target = new URL(input instanceof Request ? input.url : input.toString());
          target.host = new URL(replica.url).host;
          return fetch(target, init);
        },
      }),
    );
    try {
      const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you, across replicas?' } });
      expect(asked).toEqual(['Who are you, across replicas?']);
      expect(result.content).toEqual([{ type: 'text', text: 'User response: action=accept, content={"username":"alice","email":"alice@example.com"}' }]);
      expect(served.filter((entry) => entry.retry).map((entry) => entry.replica)).toEqual(['b']);
    } finally {
      await client.close();
    }
  });

  const headers = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': 'tools/call',
    'mcp-name': 'test_elicitation',
  });
  const params = (message: string, extra: Record<string, unknown> = {}) => ({
    name: 'test_elicitation',
    arguments: { message },
    _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } },
    ...extra,
  });
  type Answer = { result?: { resultType: string; requestState?: string; inputRequests?: Record<string, { method: string }>; content?: unknown }; error?: { code: number; message: string } };
  async function call(replica: StartedApp, token: string, id: number, body: Record<string, unknown>): Promise<Answer> {
    const response = await fetch(endpoint(replica), { method: 'POST', headers: headers(token), body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: body }) });
    expect(response.status).toBe(200);
    return (await response.json()) as Answer;
  }
  async function park(replica: StartedApp, token: string, message: string) {
    const parked = await call(replica, token, 1, params(message));
    expect(parked.result?.resultType).toBe('input_required');
    const key = Object.keys(parked.result!.inputRequests!)[0]!;
    return { requestState: parked.result!.requestState!, key };
  }

  it('raw HTTP: another subject replaying the handle on B finds nothing; the owner answers a retry on B; the handle is then spent', { timeout: 30_000 }, async () => {
    const url = world.serverUrl('legacy');
    const alice = await world.token(url);
    const { requestState, key } = await park(a, alice, 'Bound?');
    const answers = (action: string) => ({ inputResponses: { [key]: { action } }, requestState });
    const stolen = await call(b, await world.token(url, { subject: 'mallory' }), 2, params('Bound?', answers('decline')));
    expect(stolen.error?.code).toBe(-32602);
    const otherArguments = await call(b, alice, 3, params('Different?', answers('decline')));
    expect(otherArguments.error?.code).toBe(-32602);
    // Missing answers are asked for again with the same handle, wherever the retry lands.
    const incomplete = await call(b, alice, 4, params('Bound?', { requestState }));
    expect(incomplete.result).toMatchObject({ resultType: 'input_required', requestState });
    const done = await call(b, alice, 5, params('Bound?', answers('decline')));
    expect(done.result?.resultType).toBe('complete');
    expect(done.result?.content).toEqual([{ type: 'text', text: 'User response: action=decline, content={}' }]);
    const replayed = await call(a, alice, 6, params('Bound?', answers('decline')));
    expect(replayed.error?.code).toBe(-32602);
  });

  it('the forwarded retry carries no user token (the upstream does not use token exchange)', { timeout: 30_000 }, async () => {
    const url = world.serverUrl('legacy');
    const alice = await world.token(url);
    const { requestState, key } = await park(a, alice, 'Token?');
    // Sessions are local in the gateway's tests, so the handle is in the hot store.
    const stored = await world.hot.get(`gw:state:${world.tenant}:alice:${requestState}`);
    const owner = (JSON.parse(stored!) as { owner: string }).owner;
    const seen: string[] = [];
    const listener = world.hot.peer();
    const stop = await listener.subscribe(`gw:parked:${owner}`, (message) => seen.push(message));
    try {
      const done = await call(b, alice, 2, params('Token?', { inputResponses: { [key]: { action: 'decline' } }, requestState }));
      expect(done.result?.resultType).toBe('complete');
      expect(seen).toHaveLength(1);
      expect(JSON.parse(seen[0]!)).toMatchObject({ type: 'retry', retry: { handle: requestState, caller: { subject: 'alice' } } });
      expect(seen[0]).not.toContain(alice);
      expect(seen[0]).not.toContain('"bearer"');
    } finally {
      await stop();
      await listener.close();
    }
  });

  it('two retries of one handle on two replicas at once: exactly one gets the result', { timeout: 30_000 }, async () => {
    const url = world.serverUrl('legacy');
    const alice = await world.token(url);
    const { requestState, key } = await park(a, alice, 'Twice?');
    const body = params('Twice?', { inputResponses: { [key]: { action: 'decline' } }, requestState });
    const answers = await Promise.all([call(a, alice, 2, body), call(b, alice, 3, body)]);
    expect(answers.filter((answer) => answer.result?.resultType === 'complete')).toHaveLength(1);
    expect(answers.filter((answer) => answer.error?.code === -32602)).toHaveLength(1);
  });

  it('a retry after the owner replica stopped gets a precise -32602, and the handle is consumed', { timeout: 60_000 }, async () => {
    const c = await world.startReplica();
    const url = world.serverUrl('legacy');
    const alice = await world.token(url);
    const { requestState, key } = await park(c, alice, 'Still there?');
    await c.close();
    const answers = { inputResponses: { [key]: { action: 'decline' } }, requestState };
    const orphaned = await call(b, alice, 2, params('Still there?', answers));
    expect(orphaned.error).toEqual({ code: -32602, message: 'Invalid params: requestState has expired: the gateway replica holding the call stopped; start the call again' });
    const again = await call(b, alice, 3, params('Still there?', answers));
    expect(again.error).toEqual({ code: -32602, message: 'Invalid params: requestState is unknown, expired or belongs to another request' });
    // The upstream session is fine: a new call works on the surviving replicas.
    const fresh = await park(b, alice, 'Again?');
    const done = await call(a, alice, 4, params('Again?', { inputResponses: { [fresh.key]: { action: 'decline' } }, requestState: fresh.requestState }));
    expect(done.result?.content).toEqual([{ type: 'text', text: 'User response: action=decline, content={}' }]);
  });
});
