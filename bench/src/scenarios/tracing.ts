import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startChildTarget } from '../harness/child-target.js';
import type { BenchRow } from '../harness/report.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { median } from '../harness/stats.js';
import { SpanKind, Tracing, endSpan, startSpan, traceparentOf } from '@airlock/tracing';
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
 * The spans of one tools/call as the gateway makes them (a server span opened after a timed token check,
 * session lookup, policy and upstream client spans, the trace context formatted for the upstream), `calls`
 * times in this process, with tracing `on` (exporting OTLP/HTTP JSON to `sinkUrl`, flushed inside the timed
 * part) or off; returns the CPU microseconds per call. What the machine's load does to the service-process
 * numbers above, it does far less to this: one process, no sockets on the hot path, CPU time not wall time.
 */
async function spansCpuPerCall(tracing: Tracing, calls: number): Promise<number> {
  const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  const params = { name: 'bare-json__noop', arguments: {}, _meta: {} as Record<string, unknown> };
  if (!tracing.enabled) {
    // The off path: what the four span sites of a call (session, policy, upstream; the edge's is a field check) do.
    let made = 0;
    const started = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) {
      for (let site = 0; site < 4; site += 1) if (startSpan('airlock.session.lookup', SpanKind.INTERNAL)) made += 1;
    }
    const used = process.cpuUsage(started);
    if (made !== 0) throw new Error('a span was made with tracing off');
    return (used.user + used.system) / calls;
  }
  const one = async (): Promise<void> => {
    const trace = tracing.begin(headers, 'POST /t/{tenant}/mcp', { 'http.request.method': 'POST', 'network.protocol.name': 'http', 'network.transport': 'tcp' });
    await trace.step('airlock.auth.verify_token', undefined, async () => undefined);
    trace.open('tools/call bare-json__noop', { 'airlock.tenant': 'bench', 'airlock.tenant.id': 'b3c1', 'mcp.session.id': 's1', 'mcp.method.name': 'tools/call', 'jsonrpc.protocol.version': '2.0', 'jsonrpc.request.id': '7', 'mcp.protocol.version': '2025-11-25', 'gen_ai.tool.name': params.name, 'gen_ai.operation.name': 'execute_tool', 'airlock.server': 'bare-json' });
    await trace.run(async () => {
      const lookup = startSpan('airlock.session.lookup', SpanKind.INTERNAL)!;
      lookup.setAttribute('airlock.session.source', 'local');
      endSpan(lookup);
      endSpan(startSpan('airlock.policy.decide', SpanKind.INTERNAL)!);
      const client = startSpan('tools/call', SpanKind.CLIENT)!;
      client.updateName('tools/call noop');
      client.setAttributes({ 'mcp.method.name': 'tools/call', 'airlock.server': 'bare-json', 'airlock.server.id': 'u1', 'network.transport': 'tcp', 'gen_ai.tool.name': 'noop', 'gen_ai.operation.name': 'execute_tool', 'server.address': '127.0.0.1', 'server.port': 3000 });
      const context = { traceparent: traceparentOf(client) };
      params._meta = { ...params._meta, ...context };
      endSpan(client);
    });
    trace.end(200);
  };
  for (let i = 0; i < Math.min(2_000, calls); i += 1) await one();
  await tracing.flush();
  const started = process.cpuUsage();
  for (let i = 0; i < calls; i += 1) await one();
  await tracing.flush();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / calls;
}

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
    // The same spans in this process: CPU per call with tracing on (export included) and off.
    const calls = context.quick ? 5_000 : 50_000;
    const inProcess = Tracing.start({ tracesUrl: `${sink.url}/v1/traces`, credentialHeaders: [], sampleRatio: 1, scheduleDelayMs: 200 }, 'bench');
    const inProcessOn = median([await spansCpuPerCall(inProcess, calls), await spansCpuPerCall(inProcess, calls), await spansCpuPerCall(inProcess, calls)]);
    await inProcess.shutdown();
    const inProcessOff = median([await spansCpuPerCall(Tracing.OFF, calls * 100), await spansCpuPerCall(Tracing.OFF, calls * 100), await spansCpuPerCall(Tracing.OFF, calls * 100)]);
    const baseline = summary(variants[0]!);
    const off = summary(variants[1]!);
    const scenario = 'tracing overhead: tools/call through the gateway, 50 sessions, upstream json';
    const rows: BenchRow[] = variants.map((variant) => {
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
    rows.push({
      scenario: 'tracing overhead: the spans of one tools/call, in one process (CPU time)',
      variant: 'tracing on: 6 spans, attributes, traceparent, OTLP/HTTP JSON export',
      baseline: 'tracing off: the span sites',
      throughput: 1_000_000 / inProcessOn,
      p50: Number.NaN,
      p99: Number.NaN,
      ratio: null,
      extra: { cpuMicrosPerCallOn: round1(inProcessOn), cpuNanosPerCallOff: Math.round(inProcessOff * 1000), calls },
    });
    return rows;
  } finally {
    for (const variant of variants) await variant.replica.stop().catch(() => undefined);
    await target.stop();
    await sink.close();
  }
}
