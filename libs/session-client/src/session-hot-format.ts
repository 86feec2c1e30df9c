import { sessionSchema } from '@airlock/contracts';
import type { Session } from '@airlock/contracts';

// How the session store keeps a live session in the hot store. The session store writes it; the gateway's
// client reads it directly (one round trip, no HTTP hop). Both import it from here so the format has one owner.

export const sessionRecordKey = (tenant: string, id: string) => `session:${tenant}:${id}`;
/** Last-seen stamp, apart from the record so a batched touch never rewrites (or resurrects) the record. */
export const sessionSeenKey = (tenant: string, id: string) => `session-seen:${tenant}:${id}`;

export type SessionIndexKind = 'subject' | 'client' | 'grant';
export const sessionIndexKey = (tenant: string, kind: SessionIndexKind, value: string) => `session-index:${tenant}:${kind}:${value}`;

/** A live record: the session and the version that orders its durable writes. */
export interface HotSession {
  session: Session;
  version: number;
}

const storedSchema = sessionSchema.extend({ v: sessionSchema.shape.idleTimeoutSeconds });

export function serializeHotSession(hot: HotSession): string {
  return JSON.stringify({ ...hot.session, v: hot.version });
}

/** Parses a record and its last-seen stamp (the MGET of both keys); null when absent or unreadable. */
export function parseHotSession(record: string | null, seen: string | null): HotSession | null {
  if (!record) return null;
  let json: unknown;
  try {
    json = JSON.parse(record);
  } catch {
    return null;
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) return null;
  const { v, ...session } = parsed.data;
  if (seen && seen > session.lastSeenAt) session.lastSeenAt = seen;
  return { session, version: v };
}
