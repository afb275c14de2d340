ALTER TABLE "kb_chunks" ADD COLUMN "tsv_exact" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "kb_chunks" ADD COLUMN "doc_len_exact" integer;--> statement-breakpoint
ALTER TABLE "kb_stats" ADD COLUMN "total_len_exact" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Backfill the exact-form field for chunks imported before it existed.
UPDATE "kb_chunks" c SET "doc_len_exact" = coalesce((SELECT sum(array_length(u.positions, 1)) FROM unnest(c.tsv_exact) u), 0);--> statement-breakpoint
INSERT INTO "kb_postings" ("tenant_id", "term", "chunk_id", "tf", "doc_len")
  SELECT c.tenant_id, '=' || u.lexeme, c.chunk_id, array_length(u.positions, 1), c.doc_len_exact FROM "kb_chunks" c, unnest(c.tsv_exact) u;--> statement-breakpoint
INSERT INTO "kb_term_stats" ("tenant_id", "term", "df")
  SELECT tenant_id, term, count(*) FROM "kb_postings" WHERE term LIKE '=%' GROUP BY tenant_id, term;--> statement-breakpoint
UPDATE "kb_stats" s SET "total_len_exact" = (SELECT coalesce(sum(c.doc_len_exact), 0) FROM "kb_chunks" c WHERE c.tenant_id = s.tenant_id);
