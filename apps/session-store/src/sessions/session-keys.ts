// Hot-store keys of the session store. A session's record and its last-seen stamp are separate keys so a
// touch never rewrites the record (a batched touch landing after a revocation must not resurrect it:
// EXPIRE on a deleted key is a no-op, SET is not).

export const sessionRecordKey = (tenant: string, id: string) => `session:${tenant}:${id}`;
export const sessionSeenKey = (tenant: string, id: string) => `session-seen:${tenant}:${id}`;

export type SessionIndexKind = 'subject' | 'client' | 'grant';
/** Sets of session ids, for revocation and listing by subject, client or grant. */
export const sessionIndexKey = (tenant: string, kind: SessionIndexKind, value: string) => `session-index:${tenant}:${kind}:${value}`;

/** Longest allowed session lifetime; index sets live this long after their last addition. */
export const MAX_LIFETIME_SECONDS = 30 * 86_400;
