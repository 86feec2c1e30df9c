import { fileURLToPath } from 'node:url';
import { startChildTarget } from '../harness/child-target.js';
import { createMcpLoadClient } from '../harness/mcp-load-client.js';
import type { BenchRow } from '../harness/report.js';
import { closedLoop, median } from '../harness/stats.js';
import type { CpuReader, ScenarioContext } from './scenario.js';

export const bareServer = fileURLToPath(new URL('../targets/bare-sdk-server.js', import.meta.url));
const SESSIONS = 50;

interface Measured {
  throughput: number;
  p50: number;
  p99: number;
  /** CPU microseconds per call of each watched process (median of rounds). */
  cpuMicrosPerCall: Record<string, number>;
  errors: number;
}

/** Opens `sessions` sessions against `url` and calls the no-op tool from all of them for the round time. */
export async function measureToolsCall(
  url: string,
  context: ScenarioContext,
  cpu: CpuReader,
  options: { headers?: Record<string, string>; sessions?: number; h2c?: boolean; modern?: boolean; arguments?: () => Record<string, unknown> } = {},
): Promise<Measured> {
  const count = options.sessions ?? SESSIONS;
  const client = createMcpLoadClient({
    url,
    connections: count,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.h2c ? { h2c: true } : {}),
    ...(options.modern ? { modern: true } : {}),
  });
  try {
    const sessions = await Promise.all(Array.from({ length: count }, () => client.open()));
    const args = options.arguments;
    const call = (worker: number) => sessions[worker]!.call('tools/call', { name: 'noop', arguments: args ? args() : {} }).then(() => undefined);
    await closedLoop({ concurrency: count, durationMs: context.warmupMs, operation: call });
    const rounds: Array<Omit<Measured, 'cpuMicrosPerCall'> & { cpu: Record<string, number> }> = [];
    for (let round = 0; round < context.rounds; round++) {
      const before = await cpu();
      const result = await closedLoop({ concurrency: count, durationMs: context.roundMs, operation: call });
      const after = await cpu();
      const calls = result.throughput * (result.elapsedMs / 1000);
      const perCall: Record<string, number> = {};
      for (const name of Object.keys(after)) perCall[name] = ((after[name] ?? 0) - (before[name] ?? 0)) / calls;
      rounds.push({ ...result.latency, throughput: result.throughput, cpu: perCall, errors: result.errors });
    }
    await Promise.all(sessions.map((s) => s.close()));
    const cpuMicrosPerCall: Record<string, number> = {};
    for (const name of Object.keys(rounds[0]?.cpu ?? {})) cpuMicrosPerCall[name] = median(rounds.map((r) => r.cpu[name] ?? Number.NaN));
    return {
      throughput: median(rounds.map((r) => r.throughput)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      cpuMicrosPerCall,
      errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    };
  } finally {
    await client.close();
  }
}

const round1 = (value: number | undefined) => Math.round((value ?? Number.NaN) * 10) / 10;

/**
 * Scenario 1: `tools/call` of a no-op tool on the bare SDK server, directly and (when the gateway can
 * host it) through the gateway as an http upstream, in JSON and SSE response modes of the upstream.
 */
export async function mcpToolsCall(context: ScenarioContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // BENCH_TOOLS_CALL_PROFILE=1: only the 50-session json case through the gateway (for a focused --cpu-prof);
  // BENCH_TOOLS_CALL_MODES=json: the upstream's json mode only (the sse mode's rows are left out).
  const profileOnly = process.env['BENCH_TOOLS_CALL_PROFILE'] === '1';
  const modes = profileOnly || process.env['BENCH_TOOLS_CALL_MODES'] === 'json' ? (['json'] as const) : (['json', 'sse'] as const);
  // BENCH_TOOLS_CALL_ERA=2026-07-28: the clients through the gateway speak 2026-07-28 (stateless; the gateway
  // bridges to the 2025-11-25 bare server), the bare server is still called in its own era.
  const modern = process.env['BENCH_TOOLS_CALL_ERA'] === '2026-07-28';
  const through = modern ? 'through the gateway (2026-07-28 clients)' : 'through the gateway';
  for (const mode of modes) {
    const port = context.gateway?.upstreamPort(mode) ?? 0;
    const target = await startChildTarget(bareServer, [String(port), mode]);
    try {
      const url = `http://127.0.0.1:${target.port}/mcp`;
      const serverCpu = async () => ({ server: (await target.report()).cpuMicros });
      const direct = profileOnly ? { throughput: Number.NaN, p50: Number.NaN, p99: Number.NaN, cpuMicrosPerCall: {}, errors: 0 } : await measureToolsCall(url, context, serverCpu);
      rows.push({
        scenario: 'tools/call, 50 sessions',
        variant: `bare SDK server, ${mode}`,
        baseline: '(baseline)',
        throughput: direct.throughput,
        p50: direct.p50,
        p99: direct.p99,
        ratio: null,
        extra: { serverCpuMicrosPerCall: round1(direct.cpuMicrosPerCall['server']), errors: direct.errors },
      });
      // Redis's CPU is the whole server's (anything else using it counts too): a ceiling, read around the same rounds.
      const redisCpu = async (): Promise<Record<string, number>> => (context.platform ? { redis: await context.platform.redisCpuMicros() } : {});
      const viaGateway = await context.gateway?.measureToolsCall?.(url, mode, async (gatewayUrl, headers, cpu) =>
        measureToolsCall(gatewayUrl, context, async () => ({ ...(await cpu()), ...(await serverCpu()), ...(await redisCpu()) }), { headers, modern }),
      );
      if (viaGateway) {
        const perCall = viaGateway.cpuMicrosPerCall;
        rows.push({
          scenario: 'tools/call, 50 sessions',
          variant: `${through}, upstream ${mode}`,
          baseline: `bare SDK server, ${mode}`,
          throughput: viaGateway.throughput,
          p50: viaGateway.p50,
          p99: viaGateway.p99,
          ratio: viaGateway.throughput / direct.throughput,
          ratioOf: 'throughput',
          extra: {
            addedP50Ms: viaGateway.p50 - direct.p50,
            addedP99Ms: viaGateway.p99 - direct.p99,
            // Both read around the same rounds: what the gateway spends per call against what the server it fronts spends.
            gatewayCpuPerCallOverServer: (perCall['gateway'] ?? Number.NaN) / (perCall['server'] ?? Number.NaN),
            gatewayCpuMicrosPerCall: round1(perCall['gateway']),
            serverCpuMicrosPerCall: round1(perCall['server']),
            sessionStoreCpuMicrosPerCall: round1(perCall['sessionStore']),
            authServerCpuMicrosPerCall: round1(perCall['auth']),
            redisCpuMicrosPerCall: round1(perCall['redis']),
            errors: viaGateway.errors,
          },
        });
      }
      // At 50 sessions the cores are saturated, so the added p50 there is queueing behind the gateway's CPU;
      // one session calling back to back shows the latency the gateway itself adds.
      if (mode === 'json' && !profileOnly) rows.push(...(await unsaturatedLatency(url, context, serverCpu, modern)));
    } finally {
      await target.stop();
    }
  }
  return rows;
}

async function unsaturatedLatency(url: string, context: ScenarioContext, serverCpu: CpuReader, modern: boolean): Promise<BenchRow[]> {
  const scenario = 'tools/call, 1 session (no queueing)';
  const direct = await measureToolsCall(url, context, serverCpu, { sessions: 1 });
  const rows: BenchRow[] = [
    { scenario, variant: 'bare SDK server, json', baseline: '(baseline)', throughput: direct.throughput, p50: direct.p50, p99: direct.p99, ratio: null, extra: { errors: direct.errors } },
  ];
  const through = await context.gateway?.measureToolsCall?.(url, 'json', (gatewayUrl, headers, cpu) => measureToolsCall(gatewayUrl, context, cpu, { headers, sessions: 1, modern }));
  if (through) {
    rows.push({
      scenario,
      variant: modern ? 'through the gateway (2026-07-28 client), upstream json' : 'through the gateway, upstream json',
      baseline: 'bare SDK server, json',
      throughput: through.throughput,
      p50: through.p50,
      p99: through.p99,
      ratio: through.p50 / direct.p50,
      ratioOf: 'p50 over baseline p50',
      extra: { addedP50Ms: through.p50 - direct.p50, addedP99Ms: through.p99 - direct.p99, gatewayCpuMicrosPerCall: round1(through.cpuMicrosPerCall['gateway']), errors: through.errors },
    });
  }
  return rows;
}

export type { Measured as ToolsCallMeasurement };
