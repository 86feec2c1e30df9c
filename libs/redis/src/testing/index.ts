// Test helpers (`@airlock/redis/testing`): for tests only, never for production code.
export { withLossySubscriptions } from './lossy-subscriptions.js';
export type { LossySubscriptions } from './lossy-subscriptions.js';
export { NEEDS_REDIS, testRedisUrl } from './test-redis-url.js';
export { freePort, startThrowawayRedis } from './throwaway-redis.js';
export type { ThrowawayRedis } from './throwaway-redis.js';
