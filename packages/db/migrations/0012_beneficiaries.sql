CREATE TABLE "beneficiaries" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"first_name" text,
	"last_name" text,
	"email" text,
	"phone" text,
	"country" text,
	"address" jsonb,
	"provider_accounts" jsonb NOT NULL,
	"reference_id" text,
	"metadata" jsonb,
	"current_version" integer DEFAULT 1 NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "beneficiary_registrations" (
	"beneficiary_id" text NOT NULL,
	"version" integer NOT NULL,
	"provider" text NOT NULL,
	"contact_id" text NOT NULL,
	"account_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "beneficiary_registrations_beneficiary_id_provider_version_pk" PRIMARY KEY("beneficiary_id","provider","version")
);
--> statement-breakpoint
CREATE TABLE "beneficiary_versions" (
	"beneficiary_id" text NOT NULL,
	"version" integer NOT NULL,
	"account" jsonb NOT NULL,
	"created_by_key_id" text NOT NULL,
	"created_by_label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "beneficiary_versions_beneficiary_id_version_pk" PRIMARY KEY("beneficiary_id","version")
);
--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "purpose_registered" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "beneficiary_id" text;--> statement-breakpoint
ALTER TABLE "payouts" ADD COLUMN "beneficiary_version" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "beneficiary_cooling_off_hours" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "payout_purposes" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "beneficiaries" ADD CONSTRAINT "beneficiaries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "beneficiary_registrations" ADD CONSTRAINT "beneficiary_registrations_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "beneficiary_versions" ADD CONSTRAINT "beneficiary_versions_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "beneficiaries_tenant_idx" ON "beneficiaries" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "beneficiaries_tenant_reference_idx" ON "beneficiaries" USING btree ("tenant_id","reference_id");--> statement-breakpoint
CREATE INDEX "payouts_tenant_beneficiary_idx" ON "payouts" USING btree ("tenant_id","beneficiary_id","id");