import type { RetrievedArticle } from '../../lib/contract';
import type { Database } from '../db/client';
import { tokenize } from './query';

/** Terms beyond this add little and make the query slow. */
const MAX_QUERY_TERMS = 64;

export interface RetrievedChunk extends RetrievedArticle {
  content: string;
  heading: string | null;
  url: string | null;
}

/**
 * Full-text retrieval over KB chunks. Any query term may match (an OR query, unlike
 * websearch_to_tsquery which requires every term); chunks are ranked by ts_rank normalised by length.
 */
export async function retrieveLexical(
  database: Database,
  tenantId: string,
  query: string,
  k: number,
): Promise<RetrievedChunk[]> {
  const terms = [...new Set(tokenize(query))].slice(0, MAX_QUERY_TERMS);
  if (terms.length === 0) return [];
  // Each term is quoted as a tsquery lexeme, so no user text is parsed as tsquery syntax.
  const tsquery = terms.map((t) => `'${t}'`).join(' | ');
  const rows = await database.query<{
    article_id: string;
    chunk_id: string;
    title: string;
    url: string | null;
    heading: string | null;
    content: string;
    score: number;
  }>(
    `with q as (select to_tsquery('english', $2) as q)
     select a.external_id as article_id, c.chunk_id, a.title, a.url, c.heading, c.content,
            ts_rank(c.tsv, q.q, 1) as score
       from kb_chunks c join kb_articles a on a.id = c.article_id, q
      where c.tenant_id = $1 and c.tsv @@ q.q
      order by score desc, c.chunk_id
      limit $3`,
    [tenantId, tsquery, k],
  );
  return rows.map((row, i) => ({
    articleId: row.article_id,
    chunkId: row.chunk_id,
    title: row.title,
    url: row.url,
    heading: row.heading,
    content: row.content,
    score: Number(row.score),
    rank: i + 1,
  }));
}
