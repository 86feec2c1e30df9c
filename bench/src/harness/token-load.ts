import { Agent, request } from 'undici';
import { closedLoop, median } from './stats.js';
import type { ScenarioContext } from '../scenarios/scenario.js';

export interface TokenGrantLoad {
  tokenUrl: string | ((worker: number) => string);
  /** A confidential client authenticates with HTTP Basic; a public one sends client_id in the form. */
  client: { clientId: string; clientSecret?: string } | ((worker: number) => { clientId: string; clientSecret?: string });
  /** The form of a worker's next request (refresh chains change it after every answer). */
  form: Record<string, string> | ((worker: number) => Record<string, string>);
  /** Sees every successful token response, e.g. to keep a rotated refresh token. */
  onToken?: (worker: number, json: Record<string, unknown>) => void;
  concurrency: number;
  /** Requests made before measuring besides the timed warm-up (e.g. one per tenant, so each tenant is active once). */
  warmupOperations?: number;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Posts a grant to a token endpoint in a closed loop; medians of rounds, and grants per CPU-second of `cpu`. */
export async function measureTokenGrant(load: TokenGrantLoad, context: ScenarioContext, cpu?: () => Promise<number>) {
  const dispatcher = new Agent({ connections: load.concurrency });
  const operation = async (worker: number) => {
    const client = typeof load.client === 'function' ? load.client(worker) : load.client;
    const form = typeof load.form === 'function' ? load.form(worker) : load.form;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams(form);
    if (client.clientSecret !== undefined) headers['authorization'] = basic(client.clientId, client.clientSecret);
    else body.set('client_id', client.clientId);
    const url = typeof load.tokenUrl === 'function' ? load.tokenUrl(worker) : load.tokenUrl;
    const response = await request(url, { method: 'POST', dispatcher, headers, body: body.toString() });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}: ${text.slice(0, 200)}`);
    load.onToken?.(worker, JSON.parse(text) as Record<string, unknown>);
  };
  try {
    await operation(0); // fail loudly, before measuring, when the grant is misconfigured
    await closedLoop({ concurrency: load.concurrency, durationMs: context.warmupMs, operation });
    let left = load.warmupOperations ?? 0;
    const firstPassStarted = performance.now();
    await Promise.all(
      Array.from({ length: load.concurrency }, async (_, worker) => {
        while (left-- > 0) await operation(worker);
      }),
    );
    /** Wall time of the extra warm-up requests, per request (at `concurrency`). */
    const warmupMsPerOperation = load.warmupOperations ? (performance.now() - firstPassStarted) / load.warmupOperations : Number.NaN;
    const rounds = [];
    for (let round = 0; round < context.rounds; round++) {
      const cpuBefore = cpu ? await cpu() : 0;
      const result = await closedLoop({ concurrency: load.concurrency, durationMs: context.roundMs, operation });
      const cpuMicros = cpu ? (await cpu()) - cpuBefore : Number.NaN;
      rounds.push({
        throughput: result.throughput,
        p50: result.latency.p50,
        p99: result.latency.p99,
        perCoreSecond: (result.throughput * (result.elapsedMs / 1000)) / (cpuMicros / 1e6),
        errors: result.errors,
      });
    }
    return {
      throughput: median(rounds.map((r) => r.throughput)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      /** Grants per CPU-second of the serving process. */
      perCoreSecond: median(rounds.map((r) => r.perCoreSecond)),
      errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      warmupMsPerOperation,
    };
  } finally {
    await dispatcher.close();
  }
}
