ALTER TABLE "payout_batches" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payout_batches" ADD COLUMN "schedule_preflight" jsonb;--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "payouts_scheduled_idx" ON "payouts" USING btree ("scheduled_for","id") WHERE status = 'scheduled';