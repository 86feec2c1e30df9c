-- Admin API: a client's last use (throttled writes on token issuance), per-tool enable/disable, and the
-- indexes for the users search (case-insensitive prefix of email or display name) and consent paging.
ALTER TABLE "oauth_clients" ADD COLUMN "last_used_at" TIMESTAMPTZ(3);
ALTER TABLE "tools" ADD COLUMN "enabled" BOOLEAN NOT NULL DEFAULT true;

CREATE INDEX "users_tenant_email_prefix_idx" ON "users" ("tenant_id", lower("email") text_pattern_ops);
CREATE INDEX "users_tenant_name_prefix_idx" ON "users" ("tenant_id", lower("display_name") text_pattern_ops);
CREATE INDEX "users_tenant_id_created_at_id_idx" ON "users" ("tenant_id", "created_at", "id");
CREATE INDEX "consents_tenant_id_client_id_created_at_id_idx" ON "consents" ("tenant_id", "client_id", "created_at", "id");
