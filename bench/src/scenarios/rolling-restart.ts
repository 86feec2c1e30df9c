import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startChildTarget } from '../harness/child-target.js';
import type { BenchRow } from '../harness/report.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { summarise } from '../harness/stats.js';
import { bareServer } from './mcp-tools-call.js';
import type { ScenarioContext } from './scenario.js';

const SESSIONS = 20;
/** The pause between leaving rotation and SIGTERM (a pod's preStop hook: requests on their way arrive). */
const PRE_STOP_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A round-robin load balancer over the gateway replicas in rotation (what a Kubernetes Service does),
 * counting what a client must never see across a rolling restart: 404 and a second initialize.
 */
class LoadBalancer {
  rotation: ServiceProcess[] = [];
  private next = 0;
  notFound = 0;
  initializes = 0;

  readonly fetch: typeof fetch = async (input, init) => {
    const target = new URL(input instanceof Request ? input.url : input.toString());
    target.host = new URL(this.rotation[this.next++ % this.rotation.length]!.url).host;
    if (typeof init?.body === 'string' && init.body.includes('"method":"initialize"')) this.initializes += 1;
    const response = await fetch(target, init);
    if (response.status === 404) this.notFound += 1;
    return response;
  };

  /** `kubectl rollout restart` for one pod: the new one joins, the old one leaves rotation, preStop, SIGTERM (waited for). */
  async restart(old: ServiceProcess, start: () => Promise<ServiceProcess>): Promise<{ startMs: number; stopMs: number }> {
    const started = performance.now();
    this.rotation.push(await start());
    const startMs = performance.now() - started;
    this.rotation = this.rotation.filter((replica) => replica !== old);
    await sleep(PRE_STOP_MS);
    const stopping = performance.now();
    await old.stop();
    return { startMs, stopMs: performance.now() - stopping };
  }
}

/**
 * Issue 13's rolling restart: 20 SDK client sessions calling tools/call in a loop through two gateway
 * replicas (processes) behind a round-robin balancer; each replica is replaced in turn (new one started,
 * old one SIGTERMed and drained). Reports lost responses, sessions that had to re-initialize (any 404 or
 * second initialize), and p99 of calls during the restarts against the steady state before them.
 */
export async function rollingRestart(context: ScenarioContext): Promise<BenchRow[]> {
  const platform = context.platform;
  if (!platform) return [];
  const upstream = platform.upstreams.json;
  const target = await startChildTarget(bareServer, [String(upstream.port), 'json']);
  const balancer = new LoadBalancer();
  const clients: Array<{ client: Client; transport: StreamableHTTPClientTransport; sessionId: string | undefined }> = [];
  try {
    // Two fresh replicas are the deployment; the platform's first gateway stays out of rotation.
    balancer.rotation = [await platform.startGatewayReplica({ h2c: false }), await platform.startGatewayReplica({ h2c: false })];
    const url = platform.serverResource(upstream.name);
    const { accessToken } = await platform.userTokens(url);
    for (let index = 0; index < SESSIONS; index += 1) {
      const client = new Client({ name: `rolling-${index}`, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } }, fetch: balancer.fetch });
      await client.connect(transport);
      clients.push({ client, transport, sessionId: transport.sessionId });
    }
    const initialized = balancer.initializes;

    let phase: 'warmup' | 'steady' | 'restart' | 'after' = 'warmup';
    const latencies: Record<'steady' | 'restart', number[]> = { steady: [], restart: [] };
    let answered = 0;
    let lost = 0;
    let firstLoss = '';
    let running = true;
    const loops = clients.map(async ({ client }) => {
      while (running) {
        const started = performance.now();
        try {
          const result = await client.callTool({ name: 'noop', arguments: {} });
          const ms = performance.now() - started;
          if (phase === 'steady' || phase === 'restart') latencies[phase].push(ms);
          const content = result.content as Array<{ text?: string }> | undefined;
          if (content?.[0]?.text === 'ok') answered += 1;
          else throw new Error(`unexpected answer ${JSON.stringify(result).slice(0, 200)}`);
        } catch (error) {
          lost += 1;
          firstLoss ||= String(error);
        }
      }
    });

    await sleep(context.warmupMs);
    phase = 'steady';
    await sleep(context.roundMs);
    phase = 'restart';
    const restartStarted = performance.now();
    const [first, second] = balancer.rotation as [ServiceProcess, ServiceProcess];
    const restarts = [
      await balancer.restart(first, () => platform.startGatewayReplica({ h2c: false })),
      await balancer.restart(second, () => platform.startGatewayReplica({ h2c: false })),
    ];
    const restartMs = performance.now() - restartStarted;
    phase = 'after';
    await sleep(Math.min(context.roundMs, 2_000));
    running = false;
    await Promise.all(loops);
    if (firstLoss) process.stderr.write(`bench: rolling-restart: first lost call: ${firstLoss}\n`);

    const steady = summarise(latencies.steady);
    const during = summarise(latencies.restart);
    const reinitialized = clients.filter(({ transport, sessionId }) => transport.sessionId !== sessionId).length;
    const extra = {
      sessions: SESSIONS,
      lostResponses: lost,
      reinitializedSessions: Math.max(reinitialized, balancer.initializes - initialized),
      notFound: balancer.notFound,
      answered,
      restartSeconds: Number((restartMs / 1000).toFixed(1)),
      // Starting a replica (until /readyz) and its SIGTERM drain (until exit), each replacement in turn.
      replicaStartSeconds: restarts.map((r) => (r.startMs / 1000).toFixed(1)).join(' / '),
      drainSeconds: restarts.map((r) => (r.stopMs / 1000).toFixed(1)).join(' / '),
    };
    return [
      {
        scenario: `rolling restart of 2 of 2 gateway replicas, ${SESSIONS} SDK sessions calling tools/call`,
        variant: 'during the restarts',
        baseline: 'steady state before',
        throughput: latencies.restart.length / (restartMs / 1000),
        p50: during.p50,
        p99: during.p99,
        ratio: during.p99 / steady.p99,
        ratioOf: 'p99 during restart over steady p99',
        extra: { ...extra, steadyP50: steady.p50, steadyP99: steady.p99, steadyThroughput: latencies.steady.length / (context.roundMs / 1000) },
      },
    ];
  } finally {
    await Promise.all(clients.map(({ client }) => client.close().catch(() => undefined)));
    for (const replica of balancer.rotation) await replica.stop().catch(() => undefined);
    await target.stop();
  }
}
