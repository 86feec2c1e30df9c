import { Agent, request } from 'undici';
import type { ChildTarget } from './child-target.js';
import { closedLoop, median } from './stats.js';
import type { ScenarioContext } from '../scenarios/scenario.js';

export interface TokenGrantLoad {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  form: Record<string, string>;
  concurrency: number;
}

/** Posts client_credentials (or any form grant) to a token endpoint in a closed loop; medians of rounds. */
export async function measureTokenGrant(load: TokenGrantLoad, context: ScenarioContext, target?: ChildTarget) {
  const dispatcher = new Agent({ connections: load.concurrency });
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(load.clientId)}:${encodeURIComponent(load.clientSecret)}`).toString('base64')}`;
  const body = new URLSearchParams(load.form).toString();
  const operation = async () => {
    const response = await request(load.tokenUrl, {
      method: 'POST',
      dispatcher,
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}: ${text.slice(0, 200)}`);
  };
  await operation(); // fail loudly, before measuring, when the grant is misconfigured
  await closedLoop({ concurrency: load.concurrency, durationMs: context.warmupMs, operation });
  const rounds = [];
  for (let round = 0; round < context.rounds; round++) {
    const cpuBefore = target ? (await target.report()).cpuMicros : 0;
    const result = await closedLoop({ concurrency: load.concurrency, durationMs: context.roundMs, operation });
    const cpuMicros = target ? (await target.report()).cpuMicros - cpuBefore : Number.NaN;
    rounds.push({ throughput: result.throughput, p50: result.latency.p50, p99: result.latency.p99, perCoreSecond: (result.throughput * (result.elapsedMs / 1000)) / (cpuMicros / 1e6) });
  }
  await dispatcher.close();
  return {
    throughput: median(rounds.map((r) => r.throughput)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    /** Grants per CPU-second of the serving process. */
    perCoreSecond: median(rounds.map((r) => r.perCoreSecond)),
  };
}
