-- The admin API lists a tenant's live MCP sessions in (created_at, id) order: without this index every
-- page sorted all of the tenant's sessions.
CREATE INDEX "sessions_tenant_id_kind_state_created_at_id_idx" ON "sessions"("tenant_id", "kind", "state", "created_at", "id");
