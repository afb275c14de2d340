import type { RetrievedArticle } from '../../lib/contract';
import type { Database } from '../db/client';

/** Okapi BM25 parameters. */
export const BM25 = { k1: 1.2, b: 0.75 } as const;
/** Longest query text analysed; ticket text beyond this adds noise, not recall. */
export const MAX_QUERY_CHARS = 4_000;

export interface RetrievedChunk extends RetrievedArticle {
  content: string;
  heading: string | null;
  url: string | null;
}

/** Marks exact-form (unstemmed) terms in the postings and term statistics. */
export const EXACT_PREFIX = '=';
/** Constant of reciprocal rank fusion: 60, as in Cormack et al. (2009). */
export const RRF_K = 60;
/** Ranks per field that take part in the fusion. */
export const FUSED_DEPTH = 200;
/**
 * Most query terms scored per field, the rarest first. Short questions are unaffected; for a long
 * ticket the common terms dropped carry little weight and the longest postings lists.
 */
export const MAX_TERMS_PER_FIELD = 32;

/**
 * Lexical retrieval over KB chunks (title, section heading and text), in SQL, on PostgreSQL and
 * PGlite alike: Okapi BM25 on two fields of the same text, fused by reciprocal rank.
 *
 * - the stemmed field (`english` analysis: "vaccination" matches "vaccines") and
 * - the exact-form field (`simple` analysis: words as written, so "COVID" and "test" keep their
 *   exact sense). Measured on FeedbackQA, each field wins on some domains; the fusion is at least as
 *   good as textbook BM25 everywhere (bench/results/retrieval.md).
 *
 * PostgreSQL's own ranking cannot do this: ts_rank has no IDF, and websearch_to_tsquery requires
 * every term. Instead any query term may match: the postings of each query term (kb_postings, an
 * inverted index the KB store maintains) are summed per chunk and field as
 *   Σ idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)),  idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5))
 * with df, N and avglen from kb_term_stats / kb_stats, which the store keeps exact on every change.
 * Exact-form words in more than half the chunks ("the", "to") are skipped: their IDF is near zero and
 * their postings are the longest. A long ticket is cut to its MAX_TERMS_PER_FIELD rarest terms. A query reads only its own terms' postings, never whole documents.
 */
export const BM25_SQL = `
with stats as materialized (
  select greatest(chunks, 1)::float8 as n,
         total_len::float8 / greatest(chunks, 1) as avglen,
         total_len_exact::float8 / greatest(chunks, 1) as avglen_exact
    from kb_stats where tenant_id = $1
),
qterms as (
  select u.lexeme as term from unnest(to_tsvector('english', $2)) u
  union
  select '${EXACT_PREFIX}' || u.lexeme from unnest(to_tsvector('simple', $2)) u
),
weighted as materialized (
  select term, exact, idf from (
    select s.term, left(s.term, 1) = '${EXACT_PREFIX}' as exact, ln(1 + (stats.n - s.df + 0.5) / (s.df + 0.5)) as idf,
           row_number() over (partition by left(s.term, 1) = '${EXACT_PREFIX}' order by s.df, s.term) as specificity
      from qterms q join kb_term_stats s on s.tenant_id = $1 and s.term = q.term, stats
     where left(s.term, 1) <> '${EXACT_PREFIX}' or s.df * 2 <= stats.n
  ) t where specificity <= ${MAX_TERMS_PER_FIELD}
),
-- One index lookup per query term (lateral; 'offset 0' keeps the planner from flattening it into a
-- join), whatever the statistics say: PGlite never auto-analyzes, and a plan that reads the tenant's
-- whole postings list and filters it afterwards is orders of magnitude slower. Each chunk's terms
-- are summed in term order (the input is sorted by it): floating-point sums depend on their order,
-- and without one, identical chunks could differ in the last bit and so not tie (broken by chunk id).
field_scores as materialized (
  select exact, chunk_id, sum(v) as score from (
    select w.exact, p.chunk_id, w.term,
           w.idf * p.tf * ${BM25.k1 + 1} /
             (p.tf + ${BM25.k1} * (1 - ${BM25.b} + ${BM25.b} * p.doc_len / (case when w.exact then stats.avglen_exact else stats.avglen end))) as v
      from weighted w
           cross join lateral (select chunk_id, tf, doc_len from kb_postings where tenant_id = $1 and term = w.term offset 0) p,
           stats
     order by w.exact, p.chunk_id, w.term
  ) terms
   group by exact, chunk_id
),
-- Each field's best chunks by a top-N sort, not a window over every matching chunk.
ranked as (
  select chunk_id, row_number() over (order by score desc, chunk_id) as r
    from (select chunk_id, score from field_scores where exact order by score desc, chunk_id limit ${FUSED_DEPTH}) e
  union all
  select chunk_id, row_number() over (order by score desc, chunk_id)
    from (select chunk_id, score from field_scores where not exact order by score desc, chunk_id limit ${FUSED_DEPTH}) s
),
fused as (
  select chunk_id, sum(1.0 / (${RRF_K} + r))::float8 as score
    from ranked
   group by chunk_id
   order by score desc, chunk_id
   limit $3
)
select f.chunk_id, f.score, a.external_id as article_id, a.title, a.url, c.heading, c.content
  from fused f
  join kb_chunks c on c.tenant_id = $1 and c.chunk_id = f.chunk_id
  join kb_articles a on a.id = c.article_id
 order by f.score desc, f.chunk_id`;

/** A chunk row as the retrieval queries select it. */
export interface ChunkRow {
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
  return toRetrievedChunks(await database.query<ChunkRow>(BM25_SQL, [tenantId, text, k]));
}

/** Ranked rows to chunks, ranks counted from 1 in row order. */
export function toRetrievedChunks(rows: ChunkRow[]): RetrievedChunk[] {
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
