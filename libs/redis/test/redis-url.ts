import { z } from 'zod';
import { loadConfig, redisUrl } from '@airlock/config';

/**
 * The Redis the Redis-backed suites run against: REDIS_URL when set, else the local default. These
 * suites always run on a real Redis (the embedded mode is covered by the memory suites).
 */
export const testRedisUrl: string = loadConfig(z.object({ REDIS_URL: redisUrl.optional() })).REDIS_URL ?? 'redis://127.0.0.1:6379';
