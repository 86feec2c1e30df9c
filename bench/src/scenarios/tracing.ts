import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startChildTarget } from '../harness/child-target.js';
import type { BenchRow } from '../harness/report.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { median } from '../harness/stats.js';
import { bareServer, measureToolsCall } from './mcp-tools-call.js';
import type { ToolsCallMeasurement } from './mcp-tools-call.js';
import type { ScenarioContext } from './scenario.js';

const SESSIONS = 50;

/** An OTLP/HTTP receiver that counts what it is sent and throws it away (runs in the bench process: its CPU is not the gateway's). */
async function startOtlpSink() {
  let spans = 0;
  let bytes = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      bytes += Buffer.byteLength(chunk);
    });
    req.on('end', () => {
      for (let at = body.indexOf('"spanId"'); at >= 0; at = body.indexOf('"spanId"', at + 8)) spans += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ spans, bytes, requests }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Variant {
  key: 'baseline' | 'off' | 'on';
  label: string;
  replica: ServiceProcess;
  runs: ToolsCallMeasurement[];
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * Issue 18: what tracing costs a tools/call through the gateway. Three gateway replicas (processes) on the
 * same platform, measured in turn, round after round (interleaved, so drift of the shared machine hits
 * each alike), with 50 SDK-speaking sessions each against the bare SDK server (json):
 * - baseline: a gateway built from a commit without tracing when `BENCH_TRACING_BASELINE_GATEWAY` names
 *   its `apps/mcp-gateway/dist/main.js`, else this build with no OTEL_* variables;
 * - off: this build as everyone runs it without a collector (no OTEL_* variables), or, when the baseline
 *   is this build too, with an endpoint set and `OTEL_TRACES_EXPORTER=none`;
 * - on: every trace sampled, exported as OTLP/HTTP JSON to a sink in the bench process.
 * Reported: throughput and gateway CPU per call over the baseline's, and the CPU tracing adds per call.
 */
export async function tracingOverhead(context: ScenarioContext): Promise<BenchRow[]> {
  const platform = context.platform;
  if (!platform) return [];
  const baselineEntry = process.env['BENCH_TRACING_BASELINE_GATEWAY'] || undefined;
  const sink = await startOtlpSink();
  const upstream = platform.upstreams.json;
  const target = await startChildTarget(bareServer, [String(upstream.port), 'json']);
  const variants: Variant[] = [];
  try {
    const start = async (key: Variant['key'], label: string, env: Record<string, string>, entry?: string) => {
      const replica = await platform.startGatewayReplica({ h2c: false, env, ...(entry ? { entry } : {}), name: `mcp-gateway (tracing ${key})` });
      variants.push({ key, label, replica, runs: [] });
    };
    if (baselineEntry) {
      await start('baseline', 'gateway without tracing code (baseline build)', {}, baselineEntry);
      await start('off', 'tracing off (no OTEL_* variables)', {});
    } else {
      await start('baseline', 'tracing not configured (no OTEL_* variables)', {});
      await start('off', 'tracing off (endpoint set, OTEL_TRACES_EXPORTER=none)', { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_EXPORTER: 'none' });
    }
    await start('on', 'tracing on (all sampled, OTLP/HTTP JSON)', { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '1000' });

    const resource = platform.serverResource(upstream.name);
    const { accessToken } = await platform.userTokens(resource);
    const headers = { authorization: `Bearer ${accessToken}` };
    const path = new URL(resource).pathname;
    const serverCpu = async () => (await target.report()).cpuMicros;
    for (let round = 0; round < context.rounds; round += 1) {
      for (const variant of variants) {
        const cpu = async () => {
          const [gateway, server] = await Promise.all([variant.replica.sample(), serverCpu()]);
          return { gateway: gateway.cpuMicros, server };
        };
        const measured = await measureToolsCall(`${variant.replica.url}${path}`, { ...context, rounds: 1, warmupMs: round === 0 ? context.warmupMs : Math.min(1_000, context.warmupMs) }, cpu, { headers, sessions: SESSIONS });
        variant.runs.push(measured);
      }
    }
    // The last batch needs its export delay before the sink's counts are read.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const exported = sink.counts();

    const summary = (variant: Variant) => ({
      throughput: median(variant.runs.map((run) => run.throughput)),
      p50: median(variant.runs.map((run) => run.p50)),
      p99: median(variant.runs.map((run) => run.p99)),
      gatewayCpu: median(variant.runs.map((run) => run.cpuMicrosPerCall['gateway'] ?? Number.NaN)),
      serverCpu: median(variant.runs.map((run) => run.cpuMicrosPerCall['server'] ?? Number.NaN)),
      errors: variant.runs.reduce((sum, run) => sum + run.errors, 0),
    });
    const baseline = summary(variants[0]!);
    const off = summary(variants[1]!);
    const scenario = 'tracing overhead: tools/call through the gateway, 50 sessions, upstream json';
    return variants.map((variant) => {
      const own = summary(variant);
      const isBaseline = variant.key === 'baseline';
      return {
        scenario,
        variant: variant.label,
        baseline: isBaseline ? '(baseline)' : variants[0]!.label,
        throughput: own.throughput,
        p50: own.p50,
        p99: own.p99,
        ratio: isBaseline ? null : own.throughput / baseline.throughput,
        ...(isBaseline ? {} : { ratioOf: 'throughput' }),
        extra: {
          gatewayCpuMicrosPerCall: round1(own.gatewayCpu),
          ...(isBaseline ? {} : { gatewayCpuPerCallOverBaseline: Math.round((own.gatewayCpu / baseline.gatewayCpu) * 100) / 100 }),
          ...(variant.key === 'on'
            ? {
                addedGatewayCpuMicrosPerCall: round1(own.gatewayCpu - off.gatewayCpu),
                addedP50Ms: Math.round((own.p50 - off.p50) * 1000) / 1000,
                spansExported: exported.spans,
                exportRequests: exported.requests,
                exportedMiB: round1(exported.bytes / 1024 / 1024),
              }
            : {}),
          serverCpuMicrosPerCall: round1(own.serverCpu),
          rounds: variant.runs.length,
          errors: own.errors,
        },
      };
    });
  } finally {
    for (const variant of variants) await variant.replica.stop().catch(() => undefined);
    await target.stop();
    await sink.close();
  }
}
