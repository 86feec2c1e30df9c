import { randomBytes } from 'node:crypto';
import { afterAll, describe } from 'vitest';
import { Redis } from 'ioredis';
import { createBullMqBackend, createMemoryQueueBackend } from '../src/index.js';
import type { QueueBackendHooks } from '../src/index.js';
import { NEEDS_REDIS, testRedisUrl } from '@airlock/redis/testing';
import { describeQueueBackendBehaviour } from './queue-backend.behaviour.js';

const run = randomBytes(4).toString('hex');
let counter = 0;
const prefixes: string[] = [];
const nextPrefix = () => {
  const prefix = `test-q:${run}:${counter++}`;
  prefixes.push(prefix);
  return prefix;
};
const quick = { stalledIntervalMs: 500, lockDurationMs: 1000 };

// BullMQ runs against the run's Redis only; without REDIS_URL (embedded mode) there is none.
describe.skipIf(!testRedisUrl)(`on Redis ${NEEDS_REDIS}`, () => {
  const url = testRedisUrl ?? '';
  describeQueueBackendBehaviour('BullMQ', {
    create: (options?: QueueBackendHooks & { closeTimeoutMs?: number }) => createBullMqBackend({ url, prefix: nextPrefix(), ...quick, ...options }),
    replicas: () => {
      const prefix = nextPrefix();
      return [createBullMqBackend({ url, prefix, ...quick }), createBullMqBackend({ url, prefix, ...quick })];
    },
  });
});

describeQueueBackendBehaviour('in-process', {
  create: (options?: QueueBackendHooks & { closeTimeoutMs?: number }) => createMemoryQueueBackend(options),
  replicas: () => {
    const shared = createMemoryQueueBackend();
    return [shared, shared];
  },
});

afterAll(async () => {
  // Leave nothing behind on the shared Redis.
  if (!testRedisUrl || prefixes.length === 0) return;
  const redis = new Redis(testRedisUrl);
  for (const prefix of prefixes) {
    const stream = redis.scanStream({ match: `${prefix}:*`, count: 500 });
    for await (const keys of stream) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
  await redis.quit();
});
