-- Pinned tool definitions (issue 17): per tool, the definition an admin approved (or the gateway trusted on
-- first use) and the one the gateway last saw upstream, each with its sha256 over canonical JSON. A tool
-- whose seen hash differs from its approved hash is withheld (or flagged) until an admin approves it.
-- Consents record which tool versions (approved hashes) the consent screen showed.
ALTER TABLE "tools" ADD COLUMN "approved_hash" TEXT;
ALTER TABLE "tools" ADD COLUMN "approved_definition" JSONB;
ALTER TABLE "tools" ADD COLUMN "approved_at" TIMESTAMPTZ(3);
ALTER TABLE "tools" ADD COLUMN "seen_hash" TEXT;
ALTER TABLE "tools" ADD COLUMN "seen_definition" JSONB;
ALTER TABLE "tools" ADD COLUMN "seen_at" TIMESTAMPTZ(3);
ALTER TABLE "consents" ADD COLUMN "tool_versions" JSONB NOT NULL DEFAULT '{}';
