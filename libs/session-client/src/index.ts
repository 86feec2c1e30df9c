export { createSessionClient } from './session-client.js';
export type { CreateSessionInput, SessionClient, SessionClientOptions, StateHandleClient } from './session-client.js';
export { ServiceTokens, SessionStoreClientError } from './service-token.js';
export type { ServiceTokenOptions } from './service-token.js';
export { parseHotSession, serializeHotSession, sessionIndexKey, sessionRecordKey, sessionSeenKey } from './session-hot-format.js';
export type { HotSession, SessionIndexKind } from './session-hot-format.js';
export { parseStateHandle, stateHandleRecordKey } from './state-handle-format.js';
