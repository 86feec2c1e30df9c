import type { PoolClient } from 'pg';
import type { AuditFeedRow } from './export-record.js';

/** Where a sink has got to in the feed: the (txid, seq) of the last row it delivered. Bigints as decimal strings. */
export interface FeedCursor {
  txid: string;
  seq: string;
}

/** Another exporter moved the cursor (it should be impossible while this one holds the sink's lock). */
export class CursorMovedError extends Error {
  constructor(readonly sink: string) {
    super(`the audit export cursor of sink ${sink} was moved by someone else`);
  }
}

// The feed: rows of transactions that have all finished (txid below the snapshot's xmin: no transaction
// with a smaller id is still running, and none can start), after the cursor, in (txid, seq) order. A row
// whose transaction is still open waits for the next read, so a late commit can never land behind the
// cursor. The snapshot is the statement's own: this runs outside any transaction of the exporter, so it
// holds no transaction id that would hold xmin back. Uses the (txid, seq) index.
const FEED_SQL = `SELECT e.txid::text AS txid, e.seq::text AS seq, e.id, e.tenant_id AS "tenantId", t.slug AS "tenantSlug",
    e.occurred_at AS "occurredAt", e.actor_subject AS "actorSubject", e.actor_client_id AS "actorClientId",
    e.action, e.target, e.outcome, e.request_id AS "requestId", e.details
  FROM audit_events e JOIN tenants t ON t.id = e.tenant_id
  WHERE (e.txid, e.seq) > ($1::bigint, $2::bigint)
    AND e.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
  ORDER BY e.txid, e.seq
  LIMIT $3`;

/**
 * The exporter's side effects on Postgres, all on one connection: the sink's advisory lock is a session
 * lock, so whoever holds it holds this connection; if the connection dies, Postgres drops the lock and a
 * standby replica takes over from the durable cursor.
 */
export class AuditExportFeedRepository {
  constructor(private readonly client: Pick<PoolClient, 'query'>) {}

  /** Only one exporter per sink in the whole deployment: the others wait for this lock. */
  async tryLock(sink: string): Promise<boolean> {
    const { rows } = await this.client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended('airlock.audit_export:' || $1, 0)) AS locked`, [sink]);
    return rows[0]?.locked === true;
  }

  async unlock(sink: string): Promise<void> {
    await this.client.query(`SELECT pg_advisory_unlock(hashtextextended('airlock.audit_export:' || $1, 0))`, [sink]);
  }

  /** The sink's cursor, created at the start of the feed the first time (a new sink exports the whole history). */
  async cursor(sink: string): Promise<FeedCursor> {
    const { rows } = await this.client.query<FeedCursor>(
      `WITH created AS (INSERT INTO audit_export_cursors (sink) VALUES ($1) ON CONFLICT (sink) DO NOTHING RETURNING last_txid, last_seq)
       SELECT last_txid::text AS txid, last_seq::text AS seq FROM created
       UNION ALL SELECT last_txid::text, last_seq::text FROM audit_export_cursors WHERE sink = $1`,
      [sink],
    );
    const row = rows[0];
    if (!row) throw new Error(`no audit export cursor for sink ${sink}`);
    return row;
  }

  async read(after: FeedCursor, limit: number): Promise<AuditFeedRow[]> {
    const { rows } = await this.client.query<AuditFeedRow>(FEED_SQL, [after.txid, after.seq, limit]);
    return rows;
  }

  /**
   * Moves the cursor from `from` to `to` in one statement (compare-and-set): it moves only if nobody moved
   * it since it was read, and commits on its own, so an acknowledged batch is never exported again by the
   * next run.
   */
  async advance(sink: string, from: FeedCursor, to: FeedCursor): Promise<void> {
    const { rowCount } = await this.client.query(
      `UPDATE audit_export_cursors SET last_txid = $4::bigint, last_seq = $5::bigint, updated_at = now()
       WHERE sink = $1 AND last_txid = $2::bigint AND last_seq = $3::bigint`,
      [sink, from.txid, from.seq, to.txid, to.seq],
    );
    if (rowCount !== 1) throw new CursorMovedError(sink);
  }
}
