import type { RetrievedArticle } from '../../lib/contract';
import type { Database } from '../db/client';

/** Okapi BM25 parameters. */
export const BM25 = { k1: 1.2, b: 0.75 } as const;
/** Longest query text analysed; ticket text beyond this adds noise, not recall. */
const MAX_QUERY_CHARS = 4_000;

export interface RetrievedChunk extends RetrievedArticle {
  content: string;
  heading: string | null;
  url: string | null;
}

/**
 * Okapi BM25 over KB chunks (title, section heading and text), in SQL, on PostgreSQL and PGlite alike.
 *
 * PostgreSQL's own ranking cannot do this: ts_rank has no IDF, and websearch_to_tsquery requires
 * every term. Instead the query is analysed with the same English parser as the index, and any of
 * its lexemes may match: the postings of each query lexeme (kb_postings, an inverted index the KB
 * store maintains) are summed per chunk as
 *   Σ idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)),  idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5))
 * with df, N and avglen from kb_term_stats / kb_stats, which the store keeps exact on every change.
 * A query reads only its own terms' postings, never whole documents.
 */
export const BM25_SQL = `
with stats as materialized (
  select greatest(chunks, 1)::float8 as n, total_len::float8 / greatest(chunks, 1) as avglen
    from kb_stats where tenant_id = $1
),
weighted as materialized (
  select s.term, ln(1 + (stats.n - s.df + 0.5) / (s.df + 0.5)) as idf
    from (select distinct u.lexeme as term from unnest(to_tsvector('english', $2)) u) q
    join kb_term_stats s on s.tenant_id = $1 and s.term = q.term, stats
),
scored as (
  select p.chunk_id,
         sum(w.idf * p.tf * ${BM25.k1 + 1} / (p.tf + ${BM25.k1} * (1 - ${BM25.b} + ${BM25.b} * p.doc_len / stats.avglen))) as score
    from weighted w join kb_postings p on p.tenant_id = $1 and p.term = w.term, stats
   group by p.chunk_id
   order by score desc, p.chunk_id
   limit $3
)
select s.chunk_id, s.score, a.external_id as article_id, a.title, a.url, c.heading, c.content
  from scored s
  join kb_chunks c on c.tenant_id = $1 and c.chunk_id = s.chunk_id
  join kb_articles a on a.id = c.article_id
 order by s.score desc, s.chunk_id`;

interface Bm25Row {
  chunk_id: string;
  article_id: string;
  title: string;
  url: string | null;
  heading: string | null;
  content: string;
  score: number;
}

export async function retrieveLexical(
  database: Database,
  tenantId: string,
  query: string,
  k: number,
): Promise<RetrievedChunk[]> {
  const text = query.slice(0, MAX_QUERY_CHARS);
  if (!text.trim()) return [];
  const rows = await database.query<Bm25Row>(BM25_SQL, [tenantId, text, k]);
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
