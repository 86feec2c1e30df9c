import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisHotStore } from '@airlock/redis';
import { createSessionClient, serializeHotSession, sessionRecordKey } from '@airlock/session-client';
import type { Session } from '@airlock/contracts';
import type { BenchRow } from '../harness/report.js';
import { closedLoop, median } from '../harness/stats.js';
import type { ScenarioContext } from './scenario.js';

const CONCURRENCY = 16;
const SESSIONS = 1_000;

/**
 * Scenario 4: resolving an MCP session at the gateway through the session client (process cache evicted
 * by session events; on a miss, one hot-store MGET) vs a bare ioredis GET of a value of the same size.
 * Needs a real Redis (REDIS_URL, default redis://127.0.0.1:6379).
 */
export async function sessionResolution(context: ScenarioContext, redisUrl: string): Promise<BenchRow[]> {
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const bare = new Redis(redisUrl, { keyPrefix: prefix, lazyConnect: true, maxRetriesPerRequest: 1 });
  await bare.connect();
  const hot = createRedisHotStore({ url: redisUrl, keyPrefix: prefix });
  const tenant = 'bench';
  const now = Date.now();
  const ids = Array.from({ length: SESSIONS }, () => randomBytes(24).toString('base64url'));
  let recordSize = 0;
  for (const id of ids) {
    const session: Session = {
      id,
      tenant,
      kind: 'mcp',
      subject: 'user-1',
      clientId: 'bench-client',
      grantId: 'grant-1',
      protocolVersion: '2025-11-25',
      clientInfo: { name: 'bench', version: '1.0.0' },
      capabilities: {},
      upstreams: [],
      createdAt: new Date(now).toISOString(),
      lastSeenAt: new Date(now).toISOString(),
      idleTimeoutSeconds: 3600,
      expiresAt: new Date(now + 3_600_000).toISOString(),
      state: 'active',
    };
    const record = serializeHotSession({ session, version: 1 });
    recordSize = record.length;
    await hot.set(sessionRecordKey(tenant, id), record, { ttlMs: 3_600_000 });
    await bare.set(`plain:${id}`, record, 'PX', 3_600_000);
  }
  // No session store runs here: reads never call it, and the touch batches it would receive are flushed
  // off the request path (their failures are ignored by this benchmark).
  const clientOptions = { sessionStoreUrl: 'http://127.0.0.1:1', tokenBaseUrl: 'http://127.0.0.1:1', masterKey: randomBytes(32), hot, onError: () => undefined };
  const cached = createSessionClient(clientOptions);
  const uncached = createSessionClient({ ...clientOptions, cacheTtlMs: 0 });
  await cached.start();
  let cursor = 0;
  const nextId = () => ids[cursor++ % SESSIONS] as string;

  const measure = async (operation: () => Promise<unknown>) => {
    const loop = { concurrency: CONCURRENCY, operation: async () => void (await operation()) };
    await closedLoop({ ...loop, durationMs: context.warmupMs });
    const rounds = [];
    for (let round = 0; round < context.rounds; round++) rounds.push(await closedLoop({ ...loop, durationMs: context.roundMs }));
    return { throughput: median(rounds.map((r) => r.throughput)), p50: median(rounds.map((r) => r.latency.p50)), p99: median(rounds.map((r) => r.latency.p99)) };
  };
  const mustFind = async (client: typeof cached) => {
    if (!(await client.get(tenant, nextId()))) throw new Error('session not found');
  };
  try {
    const baseline = await measure(() => bare.get(`plain:${nextId()}`));
    const miss = await measure(() => mustFind(uncached));
    const hit = await measure(() => mustFind(cached));
    // What a request pays to touch its session: the touch is coalesced in process and sent to the store
    // in one batch per tenant a second (that flush is not on any request's path).
    const touch = await measure(async () => cached.touch(tenant, nextId()));
    const scenario = `session resolution, ${CONCURRENCY} concurrent`;
    const bareName = `bare Redis GET (${recordSize} B)`;
    const row = (variant: string, m: typeof baseline): BenchRow => ({
      scenario,
      variant,
      baseline: bareName,
      ...m,
      ratio: m.p50 / baseline.p50,
      ratioOf: 'p50 over baseline p50',
      extra: { p99OverBaselineP99: m.p99 / baseline.p99 },
    });
    return [
      { scenario, variant: bareName, baseline: '(baseline)', ...baseline, ratio: null },
      row('session client, cache miss (one MGET + parse)', miss),
      row('session client, cached (evicted by events)', hit),
      row('session client, touch (coalesced, flushed in batches)', touch),
    ];
  } finally {
    await cached.close();
    await uncached.close();
    for (const id of ids) await bare.del(`plain:${id}`, sessionRecordKey(tenant, id));
    await hot.close();
    bare.disconnect();
  }
}
