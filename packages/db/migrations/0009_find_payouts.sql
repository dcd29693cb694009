ALTER TABLE "payouts" ADD COLUMN "reference_guarded" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "duplicate_reference_guard" boolean DEFAULT true NOT NULL;--> statement-breakpoint
CREATE INDEX "payouts_tenant_status_idx" ON "payouts" USING btree ("tenant_id","status","id");--> statement-breakpoint
-- Payouts made before the guard take part in it too, except where a tenant already has live
-- duplicates: of those only the oldest is guarded, so the index below cannot fail on existing data
-- (the younger twins stay unguarded and are left as they are).
UPDATE "payouts" p SET "reference_guarded" = true
WHERE p."reference_id" IS NOT NULL AND p."status" NOT IN ('failed','rejected','cancelled')
  AND NOT EXISTS (
    SELECT 1 FROM "payouts" q
    WHERE q."tenant_id" = p."tenant_id" AND q."reference_id" = p."reference_id"
      AND q."status" NOT IN ('failed','rejected','cancelled') AND q."id" < p."id");--> statement-breakpoint
CREATE UNIQUE INDEX "payouts_live_reference_idx" ON "payouts" USING btree ("tenant_id","reference_id") WHERE reference_guarded and status not in ('failed','rejected','cancelled');