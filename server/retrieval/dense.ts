import type { Database } from '../db/client';
import type { Embedder } from './embeddings';
import { toRetrievedChunks, type ChunkRow, type RetrievedChunk } from './lexical';

/** Chunks embedded per round trip when catching up. */
const EMBED_BATCH = 128;

function vectorLiteral(vector: number[]): string {
  return `[${vector.join(',')}]`;
}

/**
 * Embeds every chunk that has no embedding for `model` yet (new or re-imported articles), in
 * batches; returns how many it embedded. Idempotent, so it can run after each import and at start.
 */
export async function embedPendingChunks(database: Database, embedder: Embedder, model: string, tenantId?: string): Promise<number> {
  let done = 0;
  for (;;) {
    const pending = await database.query<{ tenant_id: string; chunk_id: string; search_text: string }>(
      `select c.tenant_id, c.chunk_id, c.search_text
         from kb_chunks c
         left join kb_chunk_embeddings e on e.tenant_id = c.tenant_id and e.chunk_id = c.chunk_id and e.model = $1
        where e.chunk_id is null and ($2::uuid is null or c.tenant_id = $2::uuid)
        order by c.tenant_id, c.chunk_id
        limit ${EMBED_BATCH}`,
      [model, tenantId ?? null],
    );
    if (pending.length === 0) return done;
    const vectors = await embedder.embed(pending.map((p) => p.search_text));
    const values: unknown[] = [];
    const rows = pending.map((p, i) => {
      values.push(p.tenant_id, p.chunk_id, model, vectorLiteral(vectors[i]!));
      const o = i * 4;
      return `($${o + 1}::uuid, $${o + 2}, $${o + 3}, $${o + 4}::vector)`;
    });
    // A chunk deleted while its batch was being embedded is skipped by the join, not an error.
    await database.query(
      `insert into kb_chunk_embeddings (tenant_id, chunk_id, model, embedding)
       select v.tenant_id, v.chunk_id, v.model, v.embedding
         from (values ${rows.join(', ')}) as v(tenant_id, chunk_id, model, embedding)
         join kb_chunks c on c.tenant_id = v.tenant_id and c.chunk_id = v.chunk_id
       on conflict do nothing`,
      values,
    );
    done += pending.length;
  }
}

/** Nearest chunks by cosine distance (exact scan: correct at any size, fast enough per tenant KB). */
export async function retrieveDense(
  database: Database,
  tenantId: string,
  queryVector: number[],
  model: string,
  k: number,
): Promise<RetrievedChunk[]> {
  const rows = await database.query<ChunkRow>(
    `select e.chunk_id, 1 - (e.embedding <=> $3::vector) as score, a.external_id as article_id, a.title, a.url, c.heading, c.content
       from kb_chunk_embeddings e
       join kb_chunks c on c.tenant_id = e.tenant_id and c.chunk_id = e.chunk_id
       join kb_articles a on a.id = c.article_id
      where e.tenant_id = $1 and e.model = $2
      order by e.embedding <=> $3::vector, e.chunk_id
      limit $4`,
    [tenantId, model, vectorLiteral(queryVector), k],
  );
  return toRetrievedChunks(rows);
}
