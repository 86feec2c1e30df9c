import { startChildTarget } from '../harness/child-target.js';
import { createMcpLoadClient, type McpLoadSession } from '../harness/mcp-load-client.js';
import type { BenchRow } from '../harness/report.js';
import { bareServer, measureToolsCall } from './mcp-tools-call.js';
import type { ScenarioContext } from './scenario.js';

const ACTIVE_SESSIONS = 10;
const OPEN_CONCURRENCY = 50;

/**
 * Opens `count` more sessions, each with its standalone GET stream left open and idle. Returns how many
 * failed (a refusal under load is a finding to report, not a reason to lose the run).
 */
async function openIdle(client: ReturnType<typeof createMcpLoadClient>, count: number, into: McpLoadSession[]): Promise<number> {
  let remaining = count;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, async () => {
      while (remaining > 0) {
        remaining -= 1;
        try {
          const session = await client.open();
          await session.openStream();
          into.push(session);
        } catch (error) {
          failed += 1;
          if (failed === 1) process.stderr.write(`bench: opening an idle session failed: ${String(error)}\n`);
        }
      }
    }),
  );
  return failed;
}

/** Lets a process finish the work of opening sessions before its RSS is read. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/**
 * Scenario 3: p99 of tools/call (10 active sessions) while N idle sessions hold their SSE GET stream
 * open, through the gateway over HTTP/1.1 and h2c, and memory per idle session (RSS growth / N), vs the
 * bare SDK server with the same N (HTTP/1.1: node:http, which the SDK's transport is written for).
 */
export async function manyStreams(context: ScenarioContext): Promise<BenchRow[]> {
  const platform = context.platform;
  if (!platform) return [];
  // Quick mode (CI) keeps N small: opening sessions through the gateway dominates its time.
  const counts = context.quick ? [0, 100, 250] : [0, 1_000, 5_000];
  const measureContext: ScenarioContext = { ...context, warmupMs: Math.min(context.warmupMs, 1_000), rounds: 1 };
  const rows: BenchRow[] = [];
  const scenario = (n: number) => `tools/call p99, ${ACTIVE_SESSIONS} active + ${n} idle SSE streams${context.quick ? ' (quick: smaller N)' : ''}`;

  // The baseline: the bare SDK server, directly, with the same idle sessions.
  const bare: Record<number, { p99: number; throughput: number; p50: number; kibPerSession: number }> = {};
  {
    const target = await startChildTarget(bareServer, ['0', 'json']);
    const url = `http://127.0.0.1:${target.port}/mcp`;
    const idle = createMcpLoadClient({ url, connections: counts[counts.length - 1]! + 20 });
    const sessions: McpLoadSession[] = [];
    try {
      await settle();
      const rss0 = (await target.report()).rssBytes;
      for (const n of counts) {
        const failedOpens = await openIdle(idle, n - sessions.length, sessions);
        await settle();
        const rss = (await target.report()).rssBytes;
        const measured = await measureToolsCall(url, measureContext, async () => ({}), { sessions: ACTIVE_SESSIONS });
        bare[n] = { ...measured, kibPerSession: sessions.length > 0 ? (rss - rss0) / sessions.length / 1024 : Number.NaN };
        rows.push({
          scenario: scenario(n),
          variant: 'bare SDK server, HTTP/1.1',
          baseline: '(baseline)',
          throughput: measured.throughput,
          p50: measured.p50,
          p99: measured.p99,
          ratio: null,
          extra: { idleSessions: sessions.length, failedOpens, rssKiBPerIdleSession: bare[n].kibPerSession, errors: measured.errors },
        });
      }
    } finally {
      await idle.close();
      await target.stop();
    }
  }

  // Through the gateway: a fresh replica per protocol (so the main one keeps no idle sessions), with the
  // bare SDK server as its upstream (every gateway session holds an upstream session too).
  const upstream = platform.upstreams.json;
  const target = await startChildTarget(bareServer, [String(upstream.port), 'json']);
  try {
    const { accessToken } = await platform.userTokens(platform.serverResource(upstream.name));
    const headers = { authorization: `Bearer ${accessToken}` };
    for (const h2c of [false, true]) {
      const replica = await platform.startGatewayReplica({ h2c });
      const url = `${replica.url}/t/${platform.tenant}/servers/${upstream.name}/mcp`;
      const idle = createMcpLoadClient({ url, headers, connections: h2c ? 4 : counts[counts.length - 1]! + 20, h2c });
      const sessions: McpLoadSession[] = [];
      const protocol = h2c ? 'HTTP/2 (h2c)' : 'HTTP/1.1';
      try {
        await settle();
        const rss0 = (await replica.sample()).rssBytes;
        const upstreamRss0 = (await target.report()).rssBytes;
        for (const n of counts) {
          const failedOpens = await openIdle(idle, n - sessions.length, sessions);
          await settle();
          const rss = (await replica.sample()).rssBytes;
          const upstreamRss = (await target.report()).rssBytes;
          const measured = await measureToolsCall(url, measureContext, async () => ({}), { sessions: ACTIVE_SESSIONS, headers, h2c });
          const open = sessions.length;
          const kibPerSession = open > 0 ? (rss - rss0) / open / 1024 : Number.NaN;
          rows.push({
            scenario: scenario(n),
            variant: `through the gateway, ${protocol}`,
            baseline: 'bare SDK server, HTTP/1.1',
            throughput: measured.throughput,
            p50: measured.p50,
            p99: measured.p99,
            ratio: measured.p99 / bare[n]!.p99,
            ratioOf: 'p99 over baseline p99',
            extra: {
              idleSessions: open,
              failedOpens,
              gatewayRssKiBPerIdleSession: kibPerSession,
              memoryPerSessionOverBare: kibPerSession / bare[n]!.kibPerSession,
              upstreamRssKiBPerIdleSession: open > 0 ? (upstreamRss - upstreamRss0) / open / 1024 : Number.NaN,
              errors: measured.errors,
            },
          });
        }
      } finally {
        await idle.close();
        await replica.stop();
      }
    }
  } finally {
    await target.stop();
  }
  return rows;
}
