-- Tool-call metrics (GET /admin/v1/metrics/tool-calls) count `mcp.tools.call` audit records by time bucket,
-- for every tenant or a few. The audit table also holds every other action, so without this index a query
-- read each row of the range from the heap. Partial (tool calls only) and covering (tenant, outcome): an
-- index-only scan. Queries must spell the action as a literal for the planner to match the predicate.
-- Measured with 1M audit rows (bench/sql/audit-tool-calls.sql): see the README's admin API section.
CREATE INDEX "audit_events_tool_calls_idx" ON "audit_events"("occurred_at") INCLUDE ("tenant_id", "outcome") WHERE "action" = 'mcp.tools.call';
