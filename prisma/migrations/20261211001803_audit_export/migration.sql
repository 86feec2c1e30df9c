-- Audit export (issue 18): a feed order for audit_events and a durable cursor per export sink.
--
-- `seq` alone cannot be a cursor: sequence values are taken when rows are inserted, not when their
-- transactions commit, so a row with a smaller seq may become visible after a reader has passed a larger
-- one, and would be skipped for ever. `txid` is the id of the writing transaction. A reader only reads rows
-- whose txid is below the xmin of its snapshot (every transaction below it has finished, and no later one
-- can get a smaller id), ordered by (txid, seq), and keeps (last_txid, last_seq) as its cursor: nothing
-- can appear behind it.
--
-- Existing rows get txid 0 (they were committed before this migration), ordered among themselves by seq;
-- the default applies only to rows inserted from now on, so the column is added without a rewrite of its own.
ALTER TABLE "audit_events" ADD COLUMN "seq" BIGSERIAL NOT NULL;
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_seq_key" UNIQUE ("seq");
ALTER TABLE "audit_events" ADD COLUMN "txid" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "audit_events" ALTER COLUMN "txid" SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX "audit_events_txid_seq_idx" ON "audit_events"("txid", "seq");

-- Where each sink (jsonl, webhook, syslog) has got to: the last exported row's (txid, seq).
CREATE TABLE "audit_export_cursors" (
    "sink" TEXT NOT NULL,
    "last_txid" BIGINT NOT NULL DEFAULT 0,
    "last_seq" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_export_cursors_pkey" PRIMARY KEY ("sink")
);
