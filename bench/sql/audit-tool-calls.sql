-- Tool-call metrics query cost with and without the partial index audit_events_tool_calls_idx.
-- Standalone: builds its own copy of audit_events in schema bench_tool_calls (1M rows over 7 days,
-- 100 tenants, 70% tool calls among other actions), times the admin API's two queries (series and
-- per-tenant) for 1 hour and 24 hours before and after the index, then drops the schema.
--   createdb -h 127.0.0.1 -U postgres bench_tool_calls && psql -h 127.0.0.1 -U postgres -d bench_tool_calls -f bench/sql/audit-tool-calls.sql
\set ON_ERROR_STOP on
\timing off
DROP SCHEMA IF EXISTS bench_tool_calls CASCADE;
CREATE SCHEMA bench_tool_calls;
SET search_path = bench_tool_calls;
CREATE TYPE audit_outcome AS ENUM ('success', 'failure', 'denied', 'refused');
CREATE TABLE tenants (id uuid PRIMARY KEY, slug text UNIQUE NOT NULL);
CREATE TABLE audit_events (
  id text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  occurred_at timestamptz(3) NOT NULL,
  actor_subject text,
  actor_client_id text,
  action text NOT NULL,
  target text,
  outcome audit_outcome NOT NULL,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON audit_events (tenant_id, occurred_at);
INSERT INTO tenants SELECT gen_random_uuid(), 'tenant-' || n FROM generate_series(1, 100) n;
INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, details)
SELECT 'e' || n,
  ids[1 + (n::bigint * 7919) % 100],
  now() - make_interval(secs => (n % 604800)),
  'user-' || (n % 1000), 'client-' || (n % 50),
  CASE WHEN n % 10 < 7 THEN 'mcp.tools.call' ELSE 'admin.user.update' END,
  'server/tool', (CASE WHEN n % 100 < 90 THEN 'success' WHEN n % 100 < 97 THEN 'failure' ELSE 'refused' END)::audit_outcome,
  jsonb_build_object('latencyMs', n % 500)
FROM generate_series(1, 1000000) n, (SELECT array_agg(id) AS ids FROM tenants) t;
VACUUM ANALYZE audit_events;
VACUUM ANALYZE tenants;

-- The admin API's queries (apps/auth-server/src/admin/admin-metrics.repository.ts), all tenants.
PREPARE series(timestamptz, timestamptz, int) AS
  SELECT date_bin(make_interval(secs => $3), occurred_at, $1) AS start, count(*)::int AS calls,
    count(*) FILTER (WHERE outcome = 'failure')::int AS errors, count(*) FILTER (WHERE outcome IN ('refused', 'denied'))::int AS refused
  FROM audit_events WHERE action = 'mcp.tools.call' AND occurred_at >= $1 AND occurred_at < $2 GROUP BY 1 ORDER BY 1;
PREPARE by_tenant(timestamptz, timestamptz) AS
  SELECT t.slug, c.calls FROM (SELECT tenant_id, count(*)::int AS calls FROM audit_events
    WHERE action = 'mcp.tools.call' AND occurred_at >= $1 AND occurred_at < $2 GROUP BY tenant_id) c
  JOIN tenants t ON t.id = c.tenant_id ORDER BY c.calls DESC, t.slug LIMIT 20;

\echo '--- without the partial index (1 h twice, 24 h twice, per tenant 24 h)'
\timing on
\o /dev/null
EXECUTE series(now() - interval '1 hour', now(), 60);
EXECUTE series(now() - interval '24 hours', now(), 60);
EXECUTE series(now() - interval '24 hours', now(), 60);
EXECUTE by_tenant(now() - interval '24 hours', now());
\o
\timing off

CREATE INDEX audit_events_tool_calls_idx ON audit_events (occurred_at) INCLUDE (tenant_id, outcome) WHERE action = 'mcp.tools.call';
VACUUM ANALYZE audit_events;

\echo '--- with the partial index (1 h twice, 24 h twice, per tenant 24 h)'
\timing on
\o /dev/null
EXECUTE series(now() - interval '1 hour', now(), 60);
EXECUTE series(now() - interval '1 hour', now(), 60);
EXECUTE series(now() - interval '24 hours', now(), 60);
EXECUTE series(now() - interval '24 hours', now(), 60);
EXECUTE by_tenant(now() - interval '24 hours', now());
\o
\timing off
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE series(now() - interval '24 hours', now(), 60);

RESET search_path;
DROP SCHEMA bench_tool_calls CASCADE;
