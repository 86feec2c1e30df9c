import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './harness/free-port.js';
import { startPlatform } from './harness/platform.js';
import { environment, mergeResults, toMarkdown, type BenchResult, type BenchRow } from './harness/report.js';
import { adminLists } from './scenarios/admin-lists.js';
import { callPolicy } from './scenarios/call-policy.js';
import { consoleSessions } from './scenarios/console-sessions.js';
import { mcpToolsCall } from './scenarios/mcp-tools-call.js';
import { manyStreams } from './scenarios/many-streams.js';
import { rollingRestart } from './scenarios/rolling-restart.js';
import { jwtVerification } from './scenarios/jwt-verify.js';
import { sessionResolution } from './scenarios/session-resolution.js';
import { tenantsScale } from './scenarios/tenants-scale.js';
import { tokenEndpoint } from './scenarios/token-endpoint.js';
import { tracingOverhead } from './scenarios/tracing.js';
import type { BenchPlatform, Scenario, ScenarioContext } from './scenarios/scenario.js';

// `npm run bench [-- --quick] [-- --only <name> [--merge]] [-- --node-options "<flags>"]`: runs every scenario
// against its baseline in this same run and writes bench/results/latest.{json,md} (quick runs:
// quick.{json,md}, not committed). Speeds are never asserted; ratios against the same run's baselines are
// what we track. `--node-options` (or BENCH_SERVICE_NODE_OPTIONS) becomes NODE_OPTIONS of the three
// service processes only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/airlock-prof" to profile them.

// The bench reads its few settings here, as a tool; the services read theirs through @airlock/config.
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

// Scenario 5 adds a thousand tenants for good: it runs last.
const scenarios: Array<Scenario & { platform?: boolean }> = [
  { name: 'mcp-tools-call', run: mcpToolsCall },
  { name: 'token-endpoint', run: tokenEndpoint },
  { name: 'jwt-verify', run: jwtVerification },
  { name: 'session-resolution', run: (context) => sessionResolution(context, redisUrl) },
  { name: 'many-streams', run: manyStreams, platform: true },
  { name: 'rolling-restart', run: rollingRestart, platform: true },
  { name: 'tracing', run: tracingOverhead, platform: true },
  { name: 'admin-lists', run: adminLists, platform: true },
  { name: 'console-sessions', run: consoleSessions, platform: true },
  { name: 'call-policy', run: callPolicy, platform: true },
  { name: 'tenants', run: tenantsScale, platform: true },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const valueOf = (flag: string) => {
  const index = args.indexOf(flag);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || (value.startsWith('--') && flag !== '--node-options')) throw new Error(`bench: ${flag} needs a value`);
  return value;
};
const only = valueOf('--only')?.split(',');
const unknown = only?.filter((name) => !scenarios.some((scenario) => scenario.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown scenario ${unknown.join(', ')}; one of ${scenarios.map((scenario) => scenario.name).join(', ')}\n`);
  process.exit(2);
}
// With --only: keep the other scenarios' rows of the last result of the same mode (each part says its commit).
const merge = args.includes('--merge');
const serviceNodeOptions = valueOf('--node-options') ?? (process.env['BENCH_SERVICE_NODE_OPTIONS'] || undefined);
const selected = scenarios.filter((scenario) => !only || only.includes(scenario.name));
const context: ScenarioContext = quick ? { warmupMs: 500, roundMs: 1_500, rounds: 1, quick } : { warmupMs: 3_000, roundMs: 8_000, rounds: 3, quick };

const startedAt = new Date().toISOString();
// Commit and working tree as the services start (they run what `npm run bench` just built).
const measuredEnvironment = environment();
const loadAtStart = loadavg();
let platform: BenchPlatform | undefined;
if (selected.some((scenario) => scenario.name !== 'jwt-verify' && scenario.name !== 'session-resolution')) {
  process.stderr.write('bench: starting the platform (own database, three service processes)\n');
  const upstreams = { json: { name: 'bare-json', port: await freePort() }, sse: { name: 'bare-sse', port: await freePort() } };
  const started = await startPlatform({
    databaseUrl,
    redisUrl,
    serviceNodeOptions,
    upstreams: Object.fromEntries(Object.values(upstreams).map((u) => [u.name, `http://127.0.0.1:${u.port}/mcp`])),
  });
  platform = { ...started, upstreams };
  // Profiles written with --node-options name the process by pid.
  process.stderr.write(`bench: ${[started.auth, started.sessionStore, started.gateway].map((service) => `${service.name} pid ${service.pid}`).join(', ')}\n`);
  const running = platform;
  const platformCpu = async () => {
    const [gateway, sessionStore, auth] = await Promise.all([running.gateway.sample(), running.sessionStore.sample(), running.auth.sample()]);
    return { gateway: gateway.cpuMicros, sessionStore: sessionStore.cpuMicros, auth: auth.cpuMicros };
  };
  context.platform = running;
  context.gateway = {
    upstreamPort: (mode) => running.upstreams[mode].port,
    async measureToolsCall(upstreamUrl, mode, measure) {
      const upstream = running.upstreams[mode];
      if (upstreamUrl !== `http://127.0.0.1:${upstream.port}/mcp`) return undefined;
      const { accessToken } = await running.userTokens(running.serverResource(upstream.name));
      return measure(`${running.gatewayUrl}/t/${running.tenant}/servers/${upstream.name}/mcp`, { authorization: `Bearer ${accessToken}` }, platformCpu);
    },
  };
}

// Interrupted: still stop the services and drop the database.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void (platform?.close() ?? Promise.resolve()).finally(() => process.exit(1));
  });
}

const rows: BenchRow[] = [];
// A failed scenario is recorded and the run goes on (the others' results are kept); the exit code says it.
const failures: Array<{ scenario: string; error: string }> = [];
try {
  for (const scenario of selected) {
    process.stderr.write(`bench: ${scenario.name}\n`);
    const started = performance.now();
    try {
      rows.push(...(await scenario.run(context)).map((row) => ({ ...row, suite: scenario.name })));
    } catch (error) {
      process.stderr.write(`bench: ${scenario.name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      failures.push({ scenario: scenario.name, error: error instanceof Error ? error.message : String(error) });
      // What the services logged last (warnings and errors at the bench's log level), for the cause.
      for (const service of platform ? [platform.auth, platform.sessionStore, platform.gateway] : []) {
        const output = service.output().trim();
        if (output) process.stderr.write(`--- ${service.name} (last output)\n${output.slice(-3_000)}\n`);
      }
    }
    process.stderr.write(`bench: ${scenario.name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
} finally {
  await platform?.close();
}
const measured: BenchResult = {
  startedAt,
  finishedAt: new Date().toISOString(),
  ...measuredEnvironment,
  loadAverage: { atStart: loadAtStart.map((value) => Math.round(value * 100) / 100), atEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
  mode: quick ? 'quick' : 'full',
  rows,
  failures,
};

const outDir = fileURLToPath(new URL('../results', import.meta.url));
mkdirSync(outDir, { recursive: true });
const stem = quick ? 'quick' : 'latest';
const previousPath = join(outDir, `${stem}.json`);
const previous = merge && existsSync(previousPath) ? (JSON.parse(readFileSync(previousPath, 'utf8')) as BenchResult) : undefined;
const result =
  previous && previous.mode === measured.mode
    ? mergeResults(
        previous,
        measured,
        selected.map((scenario) => scenario.name),
        scenarios.map((scenario) => scenario.name),
      )
    : measured;
writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(outDir, `${stem}.md`), toMarkdown(result));
process.stdout.write(toMarkdown(result));
if (failures.length > 0) process.exitCode = 1;
