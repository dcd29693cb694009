CREATE TABLE "audit_chain_heads" (
	"chain" text PRIMARY KEY NOT NULL,
	"seq" bigint DEFAULT 0 NOT NULL,
	"hash" text
);
--> statement-breakpoint
ALTER TABLE "operator_actions" ADD COLUMN "chain_seq" bigint;--> statement-breakpoint
ALTER TABLE "operator_actions" ADD COLUMN "prev_hash" text;--> statement-breakpoint
ALTER TABLE "operator_actions" ADD COLUMN "hash" text;--> statement-breakpoint
ALTER TABLE "payout_events" ADD COLUMN "prev_hash" text;--> statement-breakpoint
ALTER TABLE "payout_events" ADD COLUMN "hash" text;--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "history_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "operator_actions_chain_seq_idx" ON "operator_actions" USING btree ("chain_seq");--> statement-breakpoint
-- The operator chain's head, at its start: rows written before this migration stay outside every
-- chain (no backfill; the verifier counts them as legacy rows), and chains start at the first
-- hashed row.
INSERT INTO "audit_chain_heads" ("chain", "seq", "hash") VALUES ('operator_actions', 0, NULL) ON CONFLICT DO NOTHING;
