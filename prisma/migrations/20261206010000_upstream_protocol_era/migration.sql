-- Issue 13 item 4: every upstream's protocol era known and used.
-- `protocol_era` is the admin's pin (auto = detect on connect); `protocol_version` (existing) now holds
-- the era a gateway last detected, and `protocol_detected_at` when. An admin update clears both so the
-- next connect detects again.
ALTER TABLE "upstream_servers" ADD COLUMN "protocol_era" TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE "upstream_servers" ADD COLUMN "protocol_detected_at" TIMESTAMPTZ(3);
ALTER TABLE "upstream_servers" ADD CONSTRAINT "upstream_servers_protocol_era_check" CHECK ("protocol_era" IN ('auto', '2025-11-25', '2026-07-28'));
