import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { testRedisUrl } from '@airlock/redis/testing';
import { TcpProxy } from '@airlock/testing';
import type { StartedApp } from '@airlock/platform';
import { FIXTURE_MAIN, startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { answerOf, openSession, post } from './support/raw-mcp.js';

// Sessions survive a rolling restart: a replica that shuts down releases its sessions and the replica
// that next sees each one adopts it (upstream links opened again, a stdio server started again) under the
// same client-facing session id. Replicas run in this process as in replicas.test.ts; a load balancer
// (the fetch below) sends each request to one of the replicas currently in rotation.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pause between leaving rotation and SIGTERM (a pod's preStop hook). */
const PRE_STOP_MS = 200;

/** A round-robin load balancer over the replicas in rotation; counts what the clients must never see. */
class LoadBalancer {
  rotation: StartedApp[] = [];
  private next = 0;
  notFound = 0;
  initializes = 0;

  readonly fetch: typeof fetch = async (input, init) => {
    const target = new URL(input instanceof Request ? input.url : input.toString());
    const replica = this.rotation[this.next++ % this.rotation.length]!;
    target.host = new URL(replica.url).host;
    if (typeof init?.body === 'string' && init.body.includes('"method":"initialize"')) this.initializes += 1;
    const response = await fetch(target, init);
    if (response.status === 404) this.notFound += 1;
    return response;
  };

  /**
   * What `kubectl rollout restart` does to one pod: the new one joins, the old one leaves rotation and,
   * after the preStop pause every zero-downtime rollout has (requests already on their way arrive; a
   * connection closed under a request the server has not read yet is reset, and no server can answer
   * that), gets SIGTERM.
   */
  async restart(old: StartedApp, start: () => Promise<StartedApp>): Promise<StartedApp> {
    const replacement = await start();
    this.rotation.push(replacement);
    this.rotation = this.rotation.filter((replica) => replica !== old);
    await sleep(PRE_STOP_MS);
    await old.close();
    return replacement;
  }
}

/** A 2025-11-25 upstream (SDK 1.x, sessions) whose `whoami` tool answers the upstream session id; it can forget every session (a restart). */
async function startSessionUpstream() {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const seen = { initializes: 0, deletes: 0 };
  const http = createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const transport = sessions.get(id);
        if (!transport) return void res.writeHead(404).end();
        if (req.method === 'DELETE') seen.deletes += 1;
        return transport.handleRequest(req, res);
      }
      const server = new Server({ name: 'session-upstream', version: '1.0.0' }, { capabilities: { tools: {} } });
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => {
          seen.initializes += 1;
          sessions.set(sid, transport);
        },
      });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'whoami', inputSchema: { type: 'object' } }] }));
      server.setRequestHandler(CallToolRequestSchema, async (_request, extra) => ({ content: [{ type: 'text', text: String(extra.sessionId) }] }));
      await server.connect(transport);
      await transport.handleRequest(req, res);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seen,
    forget: () => sessions.clear(),
    stop: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe('sessions across a rolling restart', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;

  beforeAll(async () => {
    // world.gateway stays out of rotation: the two replicas below are the deployment.
    world = await startGatewayWorld({ sseRetryMs: 50 }, {}, { logLevel: 'info' });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    await world.addUpstream({ name: 'local', transport: 'stdio', command: process.execPath, args: [FIXTURE_MAIN, '--stdio'] });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('the new home reuses an http upstream session the old home released, and initializes a new one when the upstream forgot it', async () => {
    const upstream = await startSessionUpstream();
    try {
      await world.addUpstream({ name: 'kept', transport: 'http', url: upstream.url });
      const path = `/t/${world.tenant}/servers/kept/mcp`;
      const token = await world.token(world.serverUrl('kept'));
      const [a, b, c] = [await world.startReplica(), await world.startReplica(), await world.startReplica()];
      const sessionId = await openSession(`${a.url}${path}`, token);
      const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
      const whoami = async (replica: StartedApp, id: number) => {
        const response = await post(`${replica.url}${path}`, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } }), headers);
        expect(response.status).toBe(200);
        return ((await answerOf(response, id)) as { result: { content: Array<{ text: string }> } }).result.content[0]!.text;
      };
      const first = await whoami(a, 1);
      await a.close();
      expect(await whoami(b, 2)).toBe(first);
      expect(upstream.seen).toEqual({ initializes: 1, deletes: 0 });

      upstream.forget();
      await b.close();
      const renewed = await whoami(c, 3);
      expect(renewed).not.toBe(first);
      expect(upstream.seen.initializes).toBe(2);
      await c.close();
    } finally {
      await upstream.stop();
    }
  }, 30_000);

  it('20 SDK sessions (http and stdio upstreams) calling in a loop lose no response and never re-initialize while both replicas restart one after the other', async () => {
    const balancer = new LoadBalancer();
    balancer.rotation = [await world.startReplica(), await world.startReplica()];
    const sessions = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const server = index % 4 === 0 ? 'local' : 'web';
        const url = world.serverUrl(server);
        const client = new Client({ name: `rolling-${index}`, version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${await world.token(url)}` } },
          fetch: balancer.fetch,
        });
        await client.connect(transport);
        return { client, transport, server, sessionId: transport.sessionId };
      }),
    );
    const initialized = balancer.initializes;
    let running = true;
    let answered = 0;
    const lost: string[] = [];
    const loops = sessions.map(async ({ client }, index) => {
      for (let call = 0; running; call += 1) {
        const text = `${index}:${call}`;
        try {
          const result = await client.callTool({ name: 'echo', arguments: { text } });
          if ((result.content as Array<{ text?: string }>)[0]?.text === text) answered += 1;
          else lost.push(`${text}: ${JSON.stringify(result)}`);
        } catch (error) {
          lost.push(`${text}: ${String(error)}`);
        }
      }
    });

    await sleep(500);
    const [first, second] = balancer.rotation as [StartedApp, StartedApp];
    const beforeRestart = answered;
    await balancer.restart(first, () => world.startReplica());
    await sleep(500);
    await balancer.restart(second, () => world.startReplica());
    await sleep(1_000);
    running = false;
    await Promise.all(loops);

    expect(lost).toEqual([]);
    expect(balancer.notFound).toBe(0);
    expect(balancer.initializes).toBe(initialized);
    for (const session of sessions) expect(session.transport.sessionId).toBe(session.sessionId);
    // Calls went on after both restarts, and every session (stdio ones included) was adopted at least once.
    expect(answered).toBeGreaterThan(beforeRestart + 40);
    const adopted = new Set(world.logs.filter((record) => record.msg === 'adopted a session').map((record) => record['session']));
    for (const session of sessions) expect(adopted.has(session.sessionId)).toBe(true);
    await Promise.all(sessions.map(({ client }) => client.close().catch(() => undefined)));
  }, 90_000);

  it('two replicas getting the first requests of a released session at once: one adopts it, both requests are answered', async () => {
    const [a, b, c] = [await world.startReplica(), await world.startReplica(), await world.startReplica()];
    const path = `/t/${world.tenant}/servers/local/mcp`;
    const token = await world.token(world.serverUrl('local'));
    const sessionId = await openSession(`${c.url}${path}`, token);
    await c.close();
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const call = (replica: StartedApp, id: number) =>
      post(`${replica.url}${path}`, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `on ${id}` } } }), headers);
    const [onA, onB] = await Promise.all([call(a, 1), call(b, 2)]);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    expect(await answerOf(onA, 1)).toMatchObject({ result: { content: [{ text: 'on 1' }] } });
    expect(await answerOf(onB, 2)).toMatchObject({ result: { content: [{ text: 'on 2' }] } });
    expect(world.logs.filter((record) => record.msg === 'adopted a session' && record['session'] === sessionId)).toHaveLength(1);
    await a.close();
    await b.close();
  }, 30_000);
});

describe.skipIf(!testRedisUrl)('forwarding between replicas across a Redis blip', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let proxy: TcpProxy;
  let proxied: HotStore;

  beforeAll(async () => {
    world = await startGatewayWorld({ sseRetryMs: 50 });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    const redis = new URL(testRedisUrl!);
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    await proxy.start();
    redis.host = `127.0.0.1:${proxy.port}`;
    proxied = createRedisHotStore({ url: redis.toString(), keyPrefix: world.hot.keyPrefix });
  });
  afterAll(async () => {
    await world?.close();
    await proxied?.close();
    await proxy?.stop();
    await fixture?.stop();
  });

  it('a request forwarded while the home replica is cut off from Redis is answered once it is back, not lost', async () => {
    // The home reaches Redis through the proxy; the client's requests after initialize go to the other replica.
    const home = await world.startReplica({ hot: proxied });
    const other = world.gateway;
    const path = `/t/${world.tenant}/servers/web/mcp`;
    const token = await world.token(world.serverUrl('web'));
    const sessionId = await openSession(`${home.url}${path}`, token);
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const call = (id: number) => post(`${other.url}${path}`, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `call ${id}` } } }), headers);
    expect(await answerOf(await call(1), 1)).toMatchObject({ result: { content: [{ text: 'call 1' }] } });

    await proxy.stop();
    const during = call(2);
    await sleep(1_500);
    await proxy.start();
    const answer = await Promise.race([during.then((response) => answerOf(response, 2)), sleep(15_000).then(() => 'no answer within 15 s')]);
    expect(answer).toMatchObject({ result: { content: [{ text: 'call 2' }] } });
    // The session goes on as before.
    expect(await answerOf(await call(3), 3)).toMatchObject({ result: { content: [{ text: 'call 3' }] } });
    await home.close();
  }, 40_000);
});
