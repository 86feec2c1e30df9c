import { fileURLToPath } from 'node:url';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { startChildTarget } from '../harness/child-target.js';
import { freePort } from '../harness/free-port.js';
import type { BenchRow } from '../harness/report.js';
import { measureTokenGrant } from '../harness/token-load.js';
import { BENCH_CLIENT, BENCH_PUBLIC_CLIENT, BENCH_RESOURCE } from '../targets/bare-oidc-provider.constants.js';
import type { ScenarioContext } from './scenario.js';

const bareProvider = fileURLToPath(new URL('../targets/bare-oidc-provider.js', import.meta.url));
const CONCURRENCY = 16;

/** Each worker refreshes its own chain: the refresh tokens rotate (public client), so every answer names the next one. */
function refreshChains(tokens: string[]) {
  const current = [...tokens];
  return {
    form: (worker: number) => ({ grant_type: 'refresh_token', refresh_token: current[worker % current.length] ?? '' }),
    onToken: (worker: number, json: Record<string, unknown>) => {
      if (typeof json['refresh_token'] === 'string') current[worker % current.length] = json['refresh_token'];
    },
  };
}

/**
 * Scenario 2: client_credentials and refresh_token grants per second (and per CPU-second of the serving
 * process), Airlock's auth server (Postgres, Redis) vs a bare oidc-provider (memory adapter, ES256).
 */
export async function tokenEndpoint(context: ScenarioContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const port = await freePort();
  const target = await startChildTarget(bareProvider, [String(port)]);
  const targetCpu = async () => (await target.report()).cpuMicros;
  const platform = context.platform;
  const authCpu = platform ? async () => (await platform.auth.sample()).cpuMicros : undefined;
  try {
    // client_credentials -------------------------------------------------------------------------------
    const bareCc = await measureTokenGrant(
      {
        tokenUrl: `http://127.0.0.1:${target.port}/token`,
        client: BENCH_CLIENT,
        form: { grant_type: 'client_credentials', scope: 'mcp', resource: BENCH_RESOURCE },
        concurrency: CONCURRENCY,
      },
      context,
      targetCpu,
    );
    const ccScenario = `token endpoint, client_credentials, ${CONCURRENCY} concurrent`;
    const bareCcName = 'bare oidc-provider, memory adapter, ES256';
    rows.push({ scenario: ccScenario, variant: bareCcName, baseline: '(baseline)', ...pick(bareCc), ratio: null, extra: { grantsPerCpuSecond: bareCc.perCoreSecond } });
    if (platform && authCpu) {
      const airlockCc = await measureTokenGrant(
        {
          tokenUrl: `${platform.authUrl}/t/${platform.tenant}/token`,
          client: platform.serviceClient,
          form: { grant_type: 'client_credentials', scope: 'mcp', resource: aggregatedMcpUrl(platform.gatewayUrl, platform.tenant) },
          concurrency: CONCURRENCY,
        },
        context,
        authCpu,
      );
      rows.push({
        scenario: ccScenario,
        variant: 'Airlock auth server (Postgres, Redis), pre-registered client',
        baseline: bareCcName,
        ...pick(airlockCc),
        ratio: airlockCc.throughput / bareCc.throughput,
        ratioOf: 'throughput',
        extra: { grantsPerCpuSecond: airlockCc.perCoreSecond, perCpuSecondRatio: airlockCc.perCoreSecond / bareCc.perCoreSecond, errors: airlockCc.errors },
      });
    }

    // refresh_token (rotating, public client) ---------------------------------------------------------
    const { tokens } = await target.ask<{ tokens: string[] }>({ type: 'refresh-tokens', count: CONCURRENCY });
    const bareChains = refreshChains(tokens);
    const bareRt = await measureTokenGrant(
      { tokenUrl: `http://127.0.0.1:${target.port}/token`, client: { clientId: BENCH_PUBLIC_CLIENT.clientId }, ...bareChains, concurrency: CONCURRENCY },
      context,
      targetCpu,
    );
    const rtScenario = `token endpoint, refresh_token (rotating), ${CONCURRENCY} concurrent`;
    const bareRtName = 'bare oidc-provider, memory adapter, ES256 (tokens minted in process)';
    rows.push({ scenario: rtScenario, variant: bareRtName, baseline: '(baseline)', ...pick(bareRt), ratio: null, extra: { grantsPerCpuSecond: bareRt.perCoreSecond, errors: bareRt.errors } });
    if (platform && authCpu) {
      const resource = aggregatedMcpUrl(platform.gatewayUrl, platform.tenant);
      const userTokens = [];
      for (let i = 0; i < CONCURRENCY; i++) userTokens.push((await platform.userTokens(resource)).refreshToken);
      const chains = refreshChains(userTokens);
      const airlockRt = await measureTokenGrant(
        { tokenUrl: `${platform.authUrl}/t/${platform.tenant}/token`, client: { clientId: platform.userClientId }, ...chains, concurrency: CONCURRENCY },
        context,
        authCpu,
      );
      rows.push({
        scenario: rtScenario,
        variant: 'Airlock auth server (Postgres, Redis), tokens from login + consent',
        baseline: bareRtName,
        ...pick(airlockRt),
        ratio: airlockRt.throughput / bareRt.throughput,
        ratioOf: 'throughput',
        extra: { grantsPerCpuSecond: airlockRt.perCoreSecond, perCpuSecondRatio: airlockRt.perCoreSecond / bareRt.perCoreSecond, errors: airlockRt.errors },
      });
    }
  } finally {
    await target.stop();
  }
  return rows;
}

function pick(measured: { throughput: number; p50: number; p99: number }) {
  return { throughput: measured.throughput, p50: measured.p50, p99: measured.p99 };
}
