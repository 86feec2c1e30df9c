// Hot-store keys of the session store. The record format is shared with the gateway's client, which reads
// live records directly; its owner is @airlock/session-client.
export { sessionIndexKey, sessionRecordKey, sessionSeenKey } from '@airlock/session-client';
export type { SessionIndexKind } from '@airlock/session-client';

/** Longest allowed session lifetime; index sets live this long after their last addition. */
export const MAX_LIFETIME_SECONDS = 30 * 86_400;
