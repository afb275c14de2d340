CREATE TABLE "kb_postings" (
	"tenant_id" uuid NOT NULL,
	"term" text NOT NULL,
	"chunk_id" text NOT NULL,
	"tf" integer NOT NULL,
	"doc_len" integer NOT NULL,
	CONSTRAINT "kb_postings_tenant_id_term_chunk_id_pk" PRIMARY KEY("tenant_id","term","chunk_id")
);
--> statement-breakpoint
ALTER TABLE "kb_postings" ADD CONSTRAINT "kb_postings_tenant_id_chunk_id_kb_chunks_tenant_id_chunk_id_fk" FOREIGN KEY ("tenant_id","chunk_id") REFERENCES "public"."kb_chunks"("tenant_id","chunk_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "kb_postings_chunk" ON "kb_postings" USING btree ("tenant_id","chunk_id");