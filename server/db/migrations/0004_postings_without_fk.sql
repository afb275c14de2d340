ALTER TABLE "kb_postings" DROP CONSTRAINT "kb_postings_tenant_id_chunk_id_kb_chunks_tenant_id_chunk_id_fk";
