// Test helpers (`@airlock/redis/testing`): for tests only, never for production code.
export { freePort, startThrowawayRedis } from './throwaway-redis.js';
export type { ThrowawayRedis } from './throwaway-redis.js';
export { NEEDS_REDIS, testRedisUrl } from './test-redis-url.js';
