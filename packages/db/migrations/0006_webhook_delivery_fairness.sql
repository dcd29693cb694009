ALTER TABLE "webhook_deliveries" ADD COLUMN "subject_id" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "subject_version" integer;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "consecutive_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "circuit_open_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "last_claimed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_ready_idx" ON "webhook_deliveries" USING btree ("endpoint_id","next_attempt_at") WHERE status = 'pending' and next_attempt_at is not null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_chain_idx" ON "webhook_deliveries" USING btree ("endpoint_id","subject_id","subject_version") WHERE status = 'pending';--> statement-breakpoint
-- The pending deliveries get their subject (the only ones a version chain reads; older ones keep
-- null there, and a replay fills it in). Those behind an earlier pending version of their subject
-- to the same endpoint then wait without a time, as the outbox now writes them.
UPDATE "webhook_deliveries" d SET "subject_id" = e."subject_id", "subject_version" = e."subject_version"
FROM "webhook_events" e
WHERE e."id" = d."event_id" AND d."status" = 'pending';--> statement-breakpoint
UPDATE "webhook_deliveries" d SET "next_attempt_at" = NULL
WHERE d."status" = 'pending' AND EXISTS (
  SELECT 1 FROM "webhook_deliveries" d2
  WHERE d2."endpoint_id" = d."endpoint_id" AND d2."subject_id" = d."subject_id" AND d2."status" = 'pending'
    AND (d2."subject_version", d2."event_id") < (d."subject_version", d."event_id"));