import { z } from 'zod';
import { loadConfig, redisUrl } from '@airlock/config';

/**
 * REDIS_URL of the test run (parsed once). Unset means the embedded mode: no Redis at all, so suites that
 * need a real Redis or spawn `redis-server` are skipped (`describe.skipIf(!testRedisUrl)`), never pointed at
 * a default address.
 */
export const testRedisUrl: string | undefined = loadConfig(z.object({ REDIS_URL: redisUrl.optional() })).REDIS_URL;

/** The title suffix of a suite skipped without REDIS_URL, so the skip says why. */
export const NEEDS_REDIS = '[runs only with REDIS_URL: needs a real Redis]';
