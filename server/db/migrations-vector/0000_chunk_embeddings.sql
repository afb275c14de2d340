-- Dense retrieval, applied only where the `vector` extension exists (PGlite loads pgvector; a
-- PostgreSQL server may not have it). drizzle-kit never writes CREATE EXTENSION, so this folder is
-- hand-written and tracked in its own table (loopdesk_vector_migrations).
CREATE EXTENSION IF NOT EXISTS vector;
--> statement-breakpoint
CREATE TABLE "kb_chunk_embeddings" (
	"tenant_id" uuid NOT NULL,
	"chunk_id" text NOT NULL,
	"model" text NOT NULL,
	"embedding" vector NOT NULL,
	CONSTRAINT "kb_chunk_embeddings_pk" PRIMARY KEY ("tenant_id", "chunk_id", "model"),
	CONSTRAINT "kb_chunk_embeddings_chunk_fk" FOREIGN KEY ("tenant_id", "chunk_id") REFERENCES "kb_chunks" ("tenant_id", "chunk_id") ON DELETE CASCADE
);
