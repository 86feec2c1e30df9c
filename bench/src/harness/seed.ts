import { Redis } from 'ioredis';
import type pg from 'pg';
import type { Session } from '@airlock/contracts';
import { serializeHotSession, sessionRecordKey } from '@airlock/session-client';

// Bulk rows for the list scenarios, written with SQL: the admin API would take minutes for 100,000 rows
// and is not what those scenarios measure.

/** `count` users of the tenant, emails user-000001@bench.example .., names "Bench User N". */
export async function seedUsers(db: pg.Pool, tenantId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO users (id, tenant_id, email, display_name, password_hash, created_at, updated_at)
     SELECT gen_random_uuid(), $1, 'user-' || lpad(n::text, 6, '0') || '@bench.example', 'Bench User ' || n, 'not-a-hash', now(), now()
     FROM generate_series(1, $2::int) n`,
    [tenantId, count],
  );
}

/**
 * `count` live MCP sessions of the tenant (ids <slug>-1 ..), one a millisecond apart, of `subjects` subjects
 * (subject-0 ..) and 50 clients (client-0 ..): the durable rows and the hot store's live records (the admin
 * API lists only rows whose live record is still there), the records expiring after an hour.
 */
export async function seedSessions(db: pg.Pool, redisUrl: string, tenant: { id: string; slug: string }, count: number, subjects: number): Promise<void> {
  const { rows } = await db.query<{ id: string; subject: string; client_id: string; created_at: Date; last_seen_at: Date; expires_at: Date }>(
    `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, upstreams, created_at, last_seen_at, idle_timeout_seconds, expires_at, state)
     SELECT $4 || '-' || n, $1, 'mcp', 'subject-' || (n % $3::int), 'client-' || (n % 50), '[]',
            now() - make_interval(secs => ($2::int - n) / 1000.0), now(), 3600, now() + interval '1 day', 'active'
     FROM generate_series(1, $2::int) n
     RETURNING id, subject, client_id, created_at, last_seen_at, expires_at`,
    [tenant.id, count, subjects, tenant.slug],
  );
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (let start = 0; start < rows.length; start += 5_000) {
      const pipeline = redis.pipeline();
      for (const row of rows.slice(start, start + 5_000)) {
        const session: Session = {
          id: row.id,
          tenant: tenant.slug,
          kind: 'mcp',
          subject: row.subject,
          clientId: row.client_id,
          upstreams: [],
          createdAt: row.created_at.toISOString(),
          lastSeenAt: row.last_seen_at.toISOString(),
          idleTimeoutSeconds: 3600,
          expiresAt: row.expires_at.toISOString(),
          state: 'active',
        };
        pipeline.set(sessionRecordKey(tenant.slug, row.id), serializeHotSession({ session, version: 1 }), 'EX', 3600);
      }
      await pipeline.exec();
    }
  } finally {
    redis.disconnect();
  }
}

/** `count` tenants with slugs `<prefix>-0001` .. (no clients, keys or users: rows a tenant list shows). */
export async function seedTenants(db: pg.Pool, prefix: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO tenants (id, slug, display_name, created_at, updated_at)
     SELECT gen_random_uuid(), $1 || '-' || lpad(n::text, 4, '0'), 'Bench tenant ' || n, now(), now()
     FROM generate_series(1, $2::int) n`,
    [prefix, count],
  );
}
