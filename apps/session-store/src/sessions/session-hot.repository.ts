import { clientRevokedEventSchema, revokedClientKey, revokedGrantKey } from '@airlock/contracts';
import type { Session } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { parseHotSession as parse, serializeHotSession } from '@airlock/session-client';
import type { HotSession } from '@airlock/session-client';
import { MAX_LIFETIME_SECONDS, sessionIndexKey, sessionRecordKey, sessionSeenKey } from './session-keys.js';
import type { SessionIndexKind } from './session-keys.js';

export type { HotSession };

/** Time a session may still live in the hot store: min(idle timeout, remaining absolute lifetime). */
export function hotTtlMs(session: Pick<Session, 'idleTimeoutSeconds' | 'expiresAt'>, nowMs: number): number {
  return Math.min(session.idleTimeoutSeconds * 1000, Date.parse(session.expiresAt) - nowMs);
}

/**
 * Sessions' live records in the hot store. Reads are one round trip (MGET of record and last-seen
 * stamp); nothing here touches Postgres.
 */
export class SessionHotRepository {
  constructor(private readonly hot: HotStore) {}

  async get(tenant: string, id: string): Promise<HotSession | null> {
    const [record, seen] = await this.hot.mget([sessionRecordKey(tenant, id), sessionSeenKey(tenant, id)]);
    return parse(record ?? null, seen ?? null);
  }

  async getMany(tenant: string, ids: readonly string[]): Promise<Array<HotSession | null>> {
    if (ids.length === 0) return [];
    const values = await this.hot.mget(ids.flatMap((id) => [sessionRecordKey(tenant, id), sessionSeenKey(tenant, id)]));
    return ids.map((_, index) => parse(values[index * 2] ?? null, values[index * 2 + 1] ?? null));
  }

  /** Writes the record with its TTL and indexes it; the caller has checked `ttlMs > 0`. */
  async put(hot: HotSession, ttlMs: number): Promise<void> {
    const { session } = hot;
    await this.hot.set(sessionRecordKey(session.tenant, session.id), serializeHotSession(hot), { ttlMs });
    const indexTtl = MAX_LIFETIME_SECONDS * 1000;
    await Promise.all(
      indexEntries(session).map(([kind, value]) => this.hot.sadd(sessionIndexKey(session.tenant, kind, value), [session.id], indexTtl)),
    );
  }

  /** Replaces the record keeping its remaining TTL (upstream bindings changed); false when it is gone. */
  async replace(hot: HotSession): Promise<boolean> {
    const { session } = hot;
    const key = sessionRecordKey(session.tenant, session.id);
    const ttl = await this.hot.pttl(key);
    if (ttl <= 0) return false;
    await this.hot.set(key, serializeHotSession(hot), { ttlMs: ttl });
    return true;
  }

  /** The auth server's marker for a revoked grant (kept until the grant's last token expires). */
  async isGrantRevoked(tenant: string, grantId: string): Promise<boolean> {
    return (await this.hot.get(revokedGrantKey(tenant, grantId))) !== null;
  }

  /**
   * Whether the client was revoked (deleted, disabled) at or after `tokenIssuedAt`; without it, whether it
   * was revoked at all within its tokens' lifetime (the marker lives that long).
   */
  async isClientRevoked(tenant: string, clientId: string, tokenIssuedAt: number | undefined): Promise<boolean> {
    const raw = await this.hot.get(revokedClientKey(tenant, clientId));
    if (raw === null) return false;
    if (tokenIssuedAt === undefined) return true;
    try {
      const event = clientRevokedEventSchema.safeParse(JSON.parse(raw));
      return !event.success || tokenIssuedAt <= event.data.revokedBefore;
    } catch {
      return true;
    }
  }

  async members(tenant: string, kind: SessionIndexKind, value: string): Promise<string[]> {
    return this.hot.smembers(sessionIndexKey(tenant, kind, value));
  }

  /** Deletes records and stamps and drops them from their indexes. */
  async remove(sessions: ReadonlyArray<Pick<Session, 'tenant' | 'id' | 'subject' | 'clientId' | 'grantId'>>): Promise<void> {
    if (sessions.length === 0) return;
    await this.hot.del(...sessions.flatMap((s) => [sessionRecordKey(s.tenant, s.id), sessionSeenKey(s.tenant, s.id)]));
    await Promise.all(sessions.flatMap((s) => indexEntries(s).map(([kind, value]) => this.hot.srem(sessionIndexKey(s.tenant, kind, value), [s.id]))));
  }

  async dropFromIndex(tenant: string, kind: SessionIndexKind, value: string, ids: string[]): Promise<void> {
    await this.hot.srem(sessionIndexKey(tenant, kind, value), ids);
  }

  /** Applies a batch of touches: extends TTLs (no-op for deleted records) and stamps last-seen. */
  async applyTouches(touches: ReadonlyArray<{ tenant: string; id: string; ttlMs: number; seenAt: string }>): Promise<void> {
    if (touches.length === 0) return;
    await this.hot.expireMany(touches.map((t) => ({ key: sessionRecordKey(t.tenant, t.id), ttlMs: t.ttlMs })));
    await this.hot.setMany(touches.map((t) => ({ key: sessionSeenKey(t.tenant, t.id), value: t.seenAt, ttlMs: t.ttlMs })));
  }
}

function indexEntries(session: Pick<Session, 'subject' | 'clientId' | 'grantId'>): Array<[SessionIndexKind, string]> {
  const entries: Array<[SessionIndexKind, string]> = [
    ['subject', session.subject],
    ['client', session.clientId],
  ];
  if (session.grantId) entries.push(['grant', session.grantId]);
  return entries;
}
