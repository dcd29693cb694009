CREATE TABLE "approval_decisions" (
	"subject_id" text NOT NULL,
	"key_id" text NOT NULL,
	"key_label" text,
	"decision" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approval_decisions_subject_id_key_id_pk" PRIMARY KEY("subject_id","key_id")
);
--> statement-breakpoint
CREATE TABLE "approval_requests" (
	"subject_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"approvals_required" integer NOT NULL,
	"maker_key_id" text NOT NULL,
	"maker_label" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "replay_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"requested_by" text NOT NULL,
	"body" jsonb NOT NULL,
	"status" text NOT NULL,
	"approved_by" text,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "approval_policy" jsonb;--> statement-breakpoint
ALTER TABLE "approval_decisions" ADD CONSTRAINT "approval_decisions_subject_id_approval_requests_subject_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."approval_requests"("subject_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approval_requests_pending_idx" ON "approval_requests" USING btree ("expires_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "approval_requests_tenant_idx" ON "approval_requests" USING btree ("tenant_id","status");