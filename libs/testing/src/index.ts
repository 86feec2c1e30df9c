export { createTestDatabase } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export { createTestLogger } from './test-logger.js';
export type { TestLogger, TestLogRecord } from './test-logger.js';
// Hot store and queues (test-hot-store.ts, test-queues.ts) are exported below by their owner.
export { createTestHotStore, startThrowawayRedis, testRedisUrl } from './test-hot-store.js';
export type { TestHotStore, ThrowawayRedis } from './test-hot-store.js';
export { createTestQueues } from './test-queues.js';
export type { TestQueues } from './test-queues.js';
