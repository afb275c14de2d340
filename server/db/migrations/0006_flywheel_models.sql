CREATE TABLE "models" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"params" jsonb NOT NULL,
	"metrics" jsonb NOT NULL,
	"status" text NOT NULL,
	"trained_on" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"promoted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "models_tenant_kind_version" ON "models" USING btree ("tenant_id","kind","version");--> statement-breakpoint
CREATE INDEX "models_tenant_kind_status" ON "models" USING btree ("tenant_id","kind","status");