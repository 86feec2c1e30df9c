export { createTestDatabase } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export { createTestLogger } from './test-logger.js';
export type { TestLogger, TestLogRecord } from './test-logger.js';
export { createTestHotStore } from './test-hot-store.js';
export type { TestHotStore } from './test-hot-store.js';
// One throwaway redis-server helper and one reading of REDIS_URL for every test, kept in the Redis lib.
export { freePort, NEEDS_REDIS, startThrowawayRedis, testRedisUrl } from '@airlock/redis/testing';
export type { ThrowawayRedis } from '@airlock/redis/testing';
export { createTestQueues } from './test-queues.js';
export type { TestQueues } from './test-queues.js';
export { TcpProxy } from './tcp-proxy.js';
export { signInAndApprove } from './scripted-browser.js';
export { MemoryOAuthProvider } from './memory-oauth-provider.js';
export { startTokenProxy } from './token-proxy.js';
export { runNodeForJson } from './json-child.js';
export { totpCode } from './totp.js';
export { SPAN_KIND, spanAttribute, startOtlpReceiver } from './otlp-receiver.js';
export type { OtlpReceiver, ReceivedSpan } from './otlp-receiver.js';
