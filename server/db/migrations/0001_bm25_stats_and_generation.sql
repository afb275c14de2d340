CREATE TABLE "kb_stats" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"chunks" integer NOT NULL,
	"total_len" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kb_term_stats" (
	"tenant_id" uuid NOT NULL,
	"term" text NOT NULL,
	"df" integer NOT NULL,
	CONSTRAINT "kb_term_stats_tenant_id_term_pk" PRIMARY KEY("tenant_id","term")
);
--> statement-breakpoint
ALTER TABLE "kb_chunks" ADD COLUMN "doc_len" integer;--> statement-breakpoint
ALTER TABLE "suggestions" ADD COLUMN "generation" jsonb;