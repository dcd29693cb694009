CREATE TABLE "reconciliation_items" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"payout_id" text,
	"reference_id" text,
	"provider_payout_id" text,
	"reason" text NOT NULL,
	"ours" jsonb,
	"theirs" jsonb,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"resolution_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"requested_by" text NOT NULL,
	"phase" text DEFAULT 'list' NOT NULL,
	"list_skip" integer DEFAULT 0 NOT NULL,
	"ours_cursor" text,
	"payouts_total" integer,
	"provider_records_seen" integer DEFAULT 0 NOT NULL,
	"provider_calls" integer DEFAULT 0 NOT NULL,
	"balance" jsonb,
	"error" text,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_run_id_reconciliation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."reconciliation_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_items_payout_idx" ON "reconciliation_items" USING btree ("run_id","payout_id") WHERE payout_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_items_unknown_idx" ON "reconciliation_items" USING btree ("run_id","provider_payout_id") WHERE payout_id is null;--> statement-breakpoint
CREATE INDEX "reconciliation_items_run_reason_idx" ON "reconciliation_items" USING btree ("run_id","reason","id");--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_runs_window_idx" ON "reconciliation_runs" USING btree ("provider","window_from","window_to");--> statement-breakpoint
CREATE INDEX "reconciliation_runs_running_idx" ON "reconciliation_runs" USING btree ("created_at") WHERE status = 'running';