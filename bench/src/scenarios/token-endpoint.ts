import { fileURLToPath } from 'node:url';
import { startChildTarget } from '../harness/child-target.js';
import { freePort } from '../harness/free-port.js';
import type { BenchRow } from '../harness/report.js';
import { measureTokenGrant } from '../harness/token-load.js';
import { BENCH_CLIENT, BENCH_RESOURCE } from '../targets/bare-oidc-provider.constants.js';
import type { ScenarioContext } from './scenario.js';

const bareProvider = fileURLToPath(new URL('../targets/bare-oidc-provider.js', import.meta.url));
const CONCURRENCY = 16;

/** Scenario 2: client_credentials grants per second, Airlock's auth server vs a bare oidc-provider. */
export async function tokenEndpoint(context: ScenarioContext): Promise<BenchRow[]> {
  const port = await freePort();
  const target = await startChildTarget(bareProvider, [String(port)]);
  try {
    const bare = await measureTokenGrant(
      {
        tokenUrl: `http://127.0.0.1:${target.port}/token`,
        clientId: BENCH_CLIENT.clientId,
        clientSecret: BENCH_CLIENT.clientSecret,
        form: { grant_type: 'client_credentials', scope: 'mcp', resource: BENCH_RESOURCE },
        concurrency: CONCURRENCY,
      },
      context,
      target,
    );
    return [
      {
        scenario: 'token endpoint, client_credentials',
        variant: 'bare oidc-provider, memory adapter, ES256',
        baseline: '(baseline)',
        throughput: bare.throughput,
        p50: bare.p50,
        p99: bare.p99,
        ratio: null,
        extra: { grantsPerCpuSecond: bare.perCoreSecond },
      },
    ];
  } finally {
    await target.stop();
  }
}
