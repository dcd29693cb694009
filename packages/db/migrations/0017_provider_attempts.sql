CREATE TABLE "provider_attempts" (
	"payout_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"provider" text NOT NULL,
	"method" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"provider_payout_id" text,
	"provider_status" text,
	"outcome" text NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"ended_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "rail_fallback" boolean;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "rail_fallback" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "provider_attempts" ADD CONSTRAINT "provider_attempts_payout_id_payouts_id_fk" FOREIGN KEY ("payout_id") REFERENCES "public"."payouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "provider_attempts_payout_attempt_idx" ON "provider_attempts" USING btree ("payout_id","attempt");--> statement-breakpoint
CREATE INDEX "provider_attempts_provider_ref_idx" ON "provider_attempts" USING btree ("provider","provider_payout_id");