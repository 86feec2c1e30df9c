import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { createBullMqBackend, createMemoryQueueBackend } from '../src/index.js';
import type { QueueBackendHooks } from '../src/index.js';
import { describeQueueBackendBehaviour } from './queue-backend.behaviour.js';
import { testRedisUrl } from './redis-url.js';

const run = randomBytes(4).toString('hex');
let counter = 0;
const prefixes: string[] = [];
const nextPrefix = () => {
  const prefix = `test-q:${run}:${counter++}`;
  prefixes.push(prefix);
  return prefix;
};
const quick = { stalledIntervalMs: 500, lockDurationMs: 1000 };

describeQueueBackendBehaviour('BullMQ', {
  create: (options?: QueueBackendHooks & { closeTimeoutMs?: number }) => createBullMqBackend({ url: testRedisUrl, prefix: nextPrefix(), ...quick, ...options }),
  replicas: () => {
    const prefix = nextPrefix();
    return [createBullMqBackend({ url: testRedisUrl, prefix, ...quick }), createBullMqBackend({ url: testRedisUrl, prefix, ...quick })];
  },
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
  const redis = new Redis(testRedisUrl);
  for (const prefix of prefixes) {
    const stream = redis.scanStream({ match: `${prefix}:*`, count: 500 });
    for await (const keys of stream) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
  await redis.quit();
});
