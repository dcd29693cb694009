ALTER TABLE "payouts" ADD COLUMN "route" text[];--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "route_fallback_on" text[];--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "routing_rules" jsonb;