CREATE TABLE "provider_downtimes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"modes" text[] NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"source" text NOT NULL,
	"external_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "provider_downtimes_external_idx" ON "provider_downtimes" USING btree ("provider","external_id");--> statement-breakpoint
CREATE INDEX "provider_downtimes_open_idx" ON "provider_downtimes" USING btree ("provider") WHERE resolved_at is null;