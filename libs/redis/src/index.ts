export type { HotStore, SubscribeOptions } from './hot-store.js';
export { HotStoreUnavailableError } from './hot-store-errors.js';
export { createRedisHotStore } from './redis-hot-store.js';
export type { RedisHotStoreOptions } from './redis-hot-store.js';
export { createMemoryHotStore, MemoryHotStoreHub } from './memory-hot-store.js';
export type { MemoryHotStoreHubOptions } from './memory-hot-store.js';
export { compareStreamIds, isStreamId, parseStreamId } from './stream-id.js';
export type { StreamId } from './stream-id.js';
