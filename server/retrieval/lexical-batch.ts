import type { Database } from '../db/client';
import { BM25, EXACT_PREFIX, FUSED_DEPTH, MAX_QUERY_CHARS, MAX_TERMS_PER_FIELD, RRF_K } from './lexical';

/** One chunk of a lexical list; `rank` counts from 1. */
export interface LexicalHit {
  chunkId: string;
  articleId: string;
  title: string;
  score: number;
  rank: number;
}

/** Queries whose terms are looked up and scored together. */
const BATCH = 500;
/** Postings kept in memory between batches; beyond this the cache is emptied. */
const MAX_CACHED_POSTINGS = 4_000_000;

interface Postings {
  chunks: Int32Array;
  tf: Int32Array;
  docLen: Int32Array;
}

interface WeightedTerm {
  term: string;
  exact: boolean;
  idf: number;
}

/**
 * The lexical lists of many queries at once, the same as `retrieveLexical` gives for each (same
 * chunks, order, scores and ranks), for the flywheel, which retrieves every judged query:
 * one statement per BATCH queries finds their weighted terms (IDF computed by the database, as in
 * BM25_SQL), the postings of those terms are read once, and BM25 per field and the reciprocal-rank
 * fusion run here, in the same arithmetic as BM25_SQL:
 *
 * - each chunk's field score sums its terms in term order, as BM25_SQL does;
 * - ties are broken by the chunk id in the database's collation (ranks read from an `order by`);
 * - the fused score is the numeric sum of `1.0 / (60 + r)` (exact, from the database's own decimal
 *   text of each term) converted to float8 as PostgreSQL converts numerics (through the decimal text).
 *
 * Returns a list per query, in order; an empty or blank query has an empty list.
 */
export async function retrieveLexicalAll(
  database: Database,
  tenantId: string,
  queries: string[],
  k: number,
  /** Called after each batch with the number of queries done. */
  onProgress?: (done: number) => void,
  /** Read the chunks from the postings (only when a posting outlived its chunk). */
  full = false,
): Promise<LexicalHit[][]> {
  const out: LexicalHit[][] = queries.map(() => []);
  const [stats] = await database.query<{ n: number; avglen: number; avglen_exact: number }>(
    `select greatest(chunks, 1)::float8 as n,
            total_len::float8 / greatest(chunks, 1) as avglen,
            total_len_exact::float8 / greatest(chunks, 1) as avglen_exact
       from kb_stats where tenant_id = $1`,
    [tenantId],
  );
  if (!stats) return out;
  const avglen = Number(stats.avglen);
  const avglenExact = Number(stats.avglen_exact);

  // Every chunk, in the database's order of chunk ids (for ties), with its article. Postings never
  // outlive their chunk (the store deletes both in one transaction); should one name a chunk that is
  // gone, the chunks are read again from the postings themselves (such a chunk can take a rank in a
  // field, and is dropped after the fusion, as BM25_SQL's join drops it).
  const chunkRows = await database.query<{ chunk_id: string; article_id: string | null; title: string | null }>(
    full
      ? `select p.chunk_id, a.external_id as article_id, a.title
           from (select distinct chunk_id from kb_postings where tenant_id = $1) p
           left join kb_chunks c on c.tenant_id = $1 and c.chunk_id = p.chunk_id
           left join kb_articles a on a.id = c.article_id
          order by p.chunk_id`
      : `select c.chunk_id, a.external_id as article_id, a.title
           from kb_chunks c join kb_articles a on a.id = c.article_id
          where c.tenant_id = $1
          order by c.chunk_id`,
    [tenantId],
  );
  const chunkIndex = new Map<string, number>();
  chunkRows.forEach((r, i) => chunkIndex.set(r.chunk_id, i));
  const rrf = await reciprocalRanks(database);

  const cache = new Map<string, Postings>();
  let cached = 0;
  const fieldScores = new Float64Array(chunkRows.length);
  const touched = new Uint8Array(chunkRows.length);

  for (let start = 0; start < queries.length; start += BATCH) {
    const texts = queries.slice(start, start + BATCH).map((q) => q.slice(0, MAX_QUERY_CHARS));
    const live = texts.flatMap((t, i) => (t.trim() ? [i] : []));
    const weighted = await weightedTerms(database, tenantId, live.map((i) => texts[i]!));
    const missing = [...new Set(weighted.flatMap((terms) => terms.map((t) => t.term)))].filter((t) => !cache.has(t));
    if (cached > MAX_CACHED_POSTINGS) {
      cache.clear();
      cached = 0;
      missing.splice(0, missing.length, ...new Set(weighted.flatMap((terms) => terms.map((t) => t.term))));
    }
    const loaded = await loadPostings(database, tenantId, missing, chunkIndex, cache);
    if (loaded === null) return full ? Promise.reject(new Error('a posting names a chunk that is not in the postings')) : retrieveLexicalAll(database, tenantId, queries, k, onProgress, true);
    cached += loaded;

    for (const [j, i] of live.entries()) {
      const terms = weighted[j]!;
      const fused = new Map<number, bigint>();
      for (const exact of [true, false]) {
        // field_scores: Σ idf·tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)), terms in the CTE's order.
        const list: number[] = [];
        const mean = exact ? avglenExact : avglen;
        for (const w of terms) {
          if (w.exact !== exact) continue;
          const p = cache.get(w.term);
          if (!p) continue;
          for (let x = 0; x < p.chunks.length; x++) {
            const c = p.chunks[x]!;
            const tf = p.tf[x]!;
            const value = (w.idf * tf * (BM25.k1 + 1)) / (tf + BM25.k1 * (1 - BM25.b + (BM25.b * p.docLen[x]!) / mean));
            if (touched[c]) fieldScores[c]! += value;
            else {
              touched[c] = 1;
              fieldScores[c] = value;
              list.push(c);
            }
          }
        }
        list.sort((a, b) => fieldScores[b]! - fieldScores[a]! || a - b);
        for (const [r, c] of list.slice(0, FUSED_DEPTH).entries()) fused.set(c, (fused.get(c) ?? 0n) + rrf[r + 1]!.value);
        for (const c of list) touched[c] = 0;
      }
      const scored = [...fused].map(([c, sum]) => ({ c, score: Number(decimal(sum, rrf.scale)) }));
      scored.sort((a, b) => b.score - a.score || a.c - b.c);
      out[start + i] = scored.slice(0, k).flatMap(({ c, score }) => {
        const row = chunkRows[c]!;
        return row.article_id === null ? [] : [{ chunkId: row.chunk_id, articleId: row.article_id, title: row.title ?? '', score, rank: 0 }];
      });
      out[start + i]!.forEach((hit, r) => (hit.rank = r + 1));
    }
    onProgress?.(Math.min(start + BATCH, queries.length));
  }
  return out;
}

/** Each text's weighted terms (BM25_SQL's `weighted` CTE), by field and then term (the database's order). */
async function weightedTerms(database: Database, tenantId: string, texts: string[]): Promise<WeightedTerm[][]> {
  const rows = await database.query<{ i: number; term: string; exact: boolean; idf: number }>(
    `with stats as materialized (
       select greatest(chunks, 1)::float8 as n from kb_stats where tenant_id = $1
     ),
     q as (select t.txt, t.i::int as i from unnest($2::text[]) with ordinality as t(txt, i)),
     qterms as (
       select q.i, u.lexeme as term from q, unnest(to_tsvector('english', q.txt)) u
       union
       select q.i, '${EXACT_PREFIX}' || u.lexeme from q, unnest(to_tsvector('simple', q.txt)) u
     )
     select i, term, exact, idf from (
       select q.i, s.term, left(s.term, 1) = '${EXACT_PREFIX}' as exact, ln(1 + (stats.n - s.df + 0.5) / (s.df + 0.5)) as idf, s.df,
              row_number() over (partition by q.i, left(s.term, 1) = '${EXACT_PREFIX}' order by s.df, s.term) as specificity
         from qterms q join kb_term_stats s on s.tenant_id = $1 and s.term = q.term, stats
        where left(s.term, 1) <> '${EXACT_PREFIX}' or s.df * 2 <= stats.n
     ) t where specificity <= ${MAX_TERMS_PER_FIELD}
     order by i, exact, term`,
    [tenantId, texts],
  );
  const out: WeightedTerm[][] = texts.map(() => []);
  for (const r of rows) out[r.i - 1]!.push({ term: r.term, exact: r.exact, idf: Number(r.idf) });
  return out;
}

/** Reads the terms' postings into the cache; the number read, or null when one names an unknown chunk. */
async function loadPostings(database: Database, tenantId: string, terms: string[], chunkIndex: Map<string, number>, cache: Map<string, Postings>): Promise<number | null> {
  let loaded = 0;
  for (let i = 0; i < terms.length; i += 1_000) {
    // One row per term (arrays): far fewer rows to decode than one per posting.
    const rows = await database.query<{ term: string; chunks: string[]; tf: number[]; doc_len: number[] }>(
      `select term, array_agg(chunk_id) as chunks, array_agg(tf) as tf, array_agg(doc_len) as doc_len
         from kb_postings where tenant_id = $1 and term = any($2::text[])
        group by term`,
      [tenantId, terms.slice(i, i + 1_000)],
    );
    for (const row of rows) {
      const n = row.chunks.length;
      const p: Postings = { chunks: new Int32Array(n), tf: Int32Array.from(row.tf), docLen: Int32Array.from(row.doc_len) };
      for (let x = 0; x < n; x++) {
        const c = chunkIndex.get(row.chunks[x]!);
        if (c === undefined) return null;
        p.chunks[x] = c;
      }
      cache.set(row.term, p);
      loaded += n;
    }
    for (const term of terms.slice(i, i + 1_000)) if (!cache.has(term)) cache.set(term, { chunks: new Int32Array(0), tf: new Int32Array(0), docLen: new Int32Array(0) });
  }
  return loaded;
}

/**
 * `1.0 / (RRF_K + r)` for each rank r of the fusion as PostgreSQL's numeric computes it, scaled to
 * integers at a common decimal scale: its sums are then exact, as numeric sums are.
 */
async function reciprocalRanks(database: Database): Promise<{ value: bigint }[] & { scale: number }> {
  const rows = await database.query<{ r: number; v: string }>(
    `select r::int as r, (1.0 / (${RRF_K} + r))::text as v from generate_series(1::bigint, ${FUSED_DEPTH}::bigint) r order by r`,
  );
  const scale = Math.max(...rows.map((row) => row.v.split('.')[1]?.length ?? 0));
  const out = [] as unknown as { value: bigint }[] & { scale: number };
  out.scale = scale;
  for (const row of rows) {
    const [whole, frac = ''] = row.v.split('.');
    out[row.r] = { value: BigInt(whole! + frac.padEnd(scale, '0')) };
  }
  return out;
}

/** A scaled integer as decimal text (what numeric → float8 parses). */
function decimal(value: bigint, scale: number): string {
  const digits = value.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}
