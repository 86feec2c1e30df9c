import { fileURLToPath } from 'node:url';
import { startChildTarget } from '../harness/child-target.js';
import { createMcpLoadClient } from '../harness/mcp-load-client.js';
import type { BenchRow } from '../harness/report.js';
import { closedLoop, median } from '../harness/stats.js';
import type { ScenarioContext } from './scenario.js';

const bareServer = fileURLToPath(new URL('../targets/bare-sdk-server.js', import.meta.url));
const SESSIONS = 50;

interface Measured {
  throughput: number;
  p50: number;
  p99: number;
  cpuMicrosPerCall: number;
  errors: number;
}

/** Opens SESSIONS sessions against `url` and calls the no-op tool from all of them for the round time. */
async function measureToolsCall(url: string, context: ScenarioContext, cpu: () => Promise<number>, headers?: Record<string, string>): Promise<Measured> {
  const client = createMcpLoadClient({ url, connections: SESSIONS, ...(headers ? { headers } : {}) });
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => client.open()));
  const call = (worker: number) => sessions[worker]!.call('tools/call', { name: 'noop', arguments: {} }).then(() => undefined);
  await closedLoop({ concurrency: SESSIONS, durationMs: context.warmupMs, operation: call });
  const rounds: Measured[] = [];
  for (let round = 0; round < context.rounds; round++) {
    const cpuBefore = await cpu();
    const result = await closedLoop({ concurrency: SESSIONS, durationMs: context.roundMs, operation: call });
    const calls = result.throughput * (result.elapsedMs / 1000);
    rounds.push({ ...result.latency, throughput: result.throughput, cpuMicrosPerCall: ((await cpu()) - cpuBefore) / calls, errors: result.errors });
  }
  await Promise.all(sessions.map((s) => s.close()));
  await client.close();
  return {
    throughput: median(rounds.map((r) => r.throughput)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuMicrosPerCall: median(rounds.map((r) => r.cpuMicrosPerCall)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

/**
 * Scenario 1: `tools/call` of a no-op tool on the bare SDK server, directly and (when the gateway can
 * host it) through the gateway as an http upstream, in JSON and SSE response modes.
 */
export async function mcpToolsCall(context: ScenarioContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const mode of ['json', 'sse'] as const) {
    const target = await startChildTarget(bareServer, ['0', mode]);
    try {
      const url = `http://127.0.0.1:${target.port}/mcp`;
      const direct = await measureToolsCall(url, context, async () => (await target.report()).cpuMicros);
      rows.push({
        scenario: 'tools/call, 50 sessions',
        variant: `bare SDK server, ${mode}`,
        baseline: '(baseline)',
        throughput: direct.throughput,
        p50: direct.p50,
        p99: direct.p99,
        ratio: null,
        extra: { cpuMicrosPerCall: direct.cpuMicrosPerCall, errors: direct.errors },
      });
      const viaGateway = await context.gateway?.measureToolsCall?.(url, mode, (gatewayUrl, headers, cpu) => measureToolsCall(gatewayUrl, context, cpu, headers));
      if (viaGateway) {
        rows.push({
          scenario: 'tools/call, 50 sessions',
          variant: `through the gateway, ${mode}`,
          baseline: `bare SDK server, ${mode}`,
          throughput: viaGateway.throughput,
          p50: viaGateway.p50,
          p99: viaGateway.p99,
          ratio: viaGateway.throughput / direct.throughput,
          ratioOf: 'throughput',
          extra: {
            addedP50Ms: viaGateway.p50 - direct.p50,
            addedP99Ms: viaGateway.p99 - direct.p99,
            gatewayCpuPerCallOverServer: viaGateway.cpuMicrosPerCall / direct.cpuMicrosPerCall,
            errors: viaGateway.errors,
          },
        });
      }
    } finally {
      await target.stop();
    }
  }
  return rows;
}

export type { Measured as ToolsCallMeasurement };
