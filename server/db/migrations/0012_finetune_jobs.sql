CREATE TABLE "finetune_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"job_id" text NOT NULL,
	"base_model" text NOT NULL,
	"training_file_id" text NOT NULL,
	"examples" integer NOT NULL,
	"suffix" text,
	"status" text NOT NULL,
	"fine_tuned_model" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "finetune_jobs" ADD CONSTRAINT "finetune_jobs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "finetune_jobs_tenant_job" ON "finetune_jobs" USING btree ("tenant_id","job_id");--> statement-breakpoint
CREATE INDEX "finetune_jobs_tenant_created" ON "finetune_jobs" USING btree ("tenant_id","created_at");