import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { loadConfig, redisUrl } from '@airlock/config';
import { createMemoryHotStore, createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';

const url = loadConfig(z.object({ REDIS_URL: redisUrl.optional() })).REDIS_URL;

/** Real Redis under a key prefix of its own when REDIS_URL is set, the in-process store otherwise. */
export function testHotStore(): HotStore {
  return url ? createRedisHotStore({ url, keyPrefix: `test:token-verifier:${randomBytes(6).toString('hex')}:` }) : createMemoryHotStore();
}
