-- The admin API's sessions list sorted by last activity (`?sort=-last_seen`, the console's default for live
-- sessions): a keyset on (last_seen_at, id) within a tenant's active sessions of a kind, as the created_at
-- one beside it, so a first page or any page is an index range scan however many sessions the tenant has.
CREATE INDEX "sessions_tenant_id_kind_state_last_seen_at_id_idx" ON "sessions"("tenant_id", "kind", "state", "last_seen_at", "id");
