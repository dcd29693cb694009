ALTER TABLE "api_keys" ADD COLUMN "tenant_role" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "label" text;--> statement-breakpoint
-- Every tenant key issued before roles could do everything: it becomes an admin key.
UPDATE "api_keys" SET "tenant_role" = 'admin' WHERE "role" = 'tenant';
