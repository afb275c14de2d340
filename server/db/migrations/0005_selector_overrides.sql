CREATE TABLE "selector_misses" (
	"tenant_id" uuid NOT NULL,
	"helpdesk" text NOT NULL,
	"selector_key" text NOT NULL,
	"client_version" text NOT NULL,
	"overridden" boolean NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"first_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "selector_misses_tenant_id_helpdesk_selector_key_client_version_overridden_pk" PRIMARY KEY("tenant_id","helpdesk","selector_key","client_version","overridden")
);
--> statement-breakpoint
CREATE TABLE "selector_overrides" (
	"tenant_id" uuid NOT NULL,
	"helpdesk" text NOT NULL,
	"selectors" jsonb NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "selector_overrides_tenant_id_helpdesk_pk" PRIMARY KEY("tenant_id","helpdesk")
);
--> statement-breakpoint
ALTER TABLE "selector_misses" ADD CONSTRAINT "selector_misses_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "selector_overrides" ADD CONSTRAINT "selector_overrides_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;