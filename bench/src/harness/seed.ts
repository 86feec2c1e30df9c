import type pg from 'pg';

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
 * `count` live MCP sessions of the tenant (ids bench-1 ..), one a millisecond apart, of `subjects` subjects
 * (subject-0 ..) and 50 clients (client-0 ..).
 */
export async function seedSessions(db: pg.Pool, tenantId: string, count: number, subjects: number): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, upstreams, created_at, last_seen_at, idle_timeout_seconds, expires_at, state)
     SELECT 'bench-' || n, $1, 'mcp', 'subject-' || (n % $3::int), 'client-' || (n % 50), '[]',
            now() - make_interval(secs => ($2::int - n) / 1000.0), now(), 3600, now() + interval '1 day', 'active'
     FROM generate_series(1, $2::int) n`,
    [tenantId, count, subjects],
  );
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
