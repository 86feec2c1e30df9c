import { z } from 'zod';
import { loadConfig, redisUrl } from '@airlock/config';

/** The Redis the BullMQ suites run against: REDIS_URL when set, else the local default. */
export const testRedisUrl: string = loadConfig(z.object({ REDIS_URL: redisUrl.optional() })).REDIS_URL ?? 'redis://127.0.0.1:6379';
