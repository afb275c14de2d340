import type { Database } from '../db/client';
import { BM25, type RetrievedChunk } from './lexical';

/**
 * What the flywheel learns for a tenant's retrieval (server/flywheel), applied at query time:
 *
 * 1. **Feedback document expansion.** Each article that agents labelled relevant or partly relevant
 *    for a ticket (or that an adopted reply cited) gets an extra field made of those tickets'
 *    retrieval queries. The field is scored with Okapi BM25 (stemmed `english` lexemes, its own
 *    document frequencies and lengths) on its own, and its best articles join the lexical
 *    candidates, so a new question worded like an earlier one finds the article the earlier one
 *    was answered with even when the article's own words differ.
 * 2. **A learned reranker**: logistic regression over the features in FEATURES, trained on the
 *    agents' relevance labels, orders the union of lexical and expansion candidates.
 *
 * The parameters are plain JSON (the `models.params` column); nothing here reads the labels.
 */
export interface RetrievalModelParams {
  /** One expansion document per article: stemmed query lexemes → how many labelled queries had it. */
  expansion: { articleId: string; terms: Record<string, number> }[];
  /** Per article: [positive labels, all labels] from the training labels. */
  priors: Record<string, [number, number]>;
  reranker: { weights: number[]; bias: number; mean: number[]; std: number[] };
}

/** The reranker's features, in the order of its weights. */
export const FEATURES = [
  /**
   * 1/rank in the lexical (BM25 stemmed + exact, RRF-fused) list. A candidate only the expansion
   * found counts as ranked just below the list's end, so that it is judged as a little worse than the
   * list's last, not as something the reranker never saw (training rows are all shown, i.e. lexical).
   */
  'lexical_reciprocal_rank',
  /** Whether the lexical list holds the chunk (constant in training: it gets no weight). */
  'lexical_present',
  /** 1 − ln(rank)/ln(CANDIDATES + 1) in the lexical list, the same below its end. */
  'lexical_log_rank',
  /** 1/rank in the expansion field's list; 0 when absent. */
  'expansion_reciprocal_rank',
  /** The expansion field's BM25 score over the best one for the query. */
  'expansion_score_relative',
  /** ln(1 + expansion BM25 score). */
  'expansion_score_log',
  /** Share of the query's words (3+ letters) in the article title. */
  'title_overlap',
  /** ln(1 + positive labels and citations of the article). */
  'article_positives_log',
  /** (positives + 1) / (labels + 2): the article's historic relevance rate, smoothed. */
  'article_relevance_rate',
] as const;

/** Ranks are put on a log scale that reaches 0 just past the usual candidate depth (75). */
const LOG_RANK_BASE = 76;

/** Candidates the expansion field adds (its own top list). */
export const EXPANSION_DEPTH = 75;

/** A candidate before scoring: an article with what the lexical list says about it, if anything. */
export interface Candidate {
  articleId: string;
  title: string;
  lexicalRank?: number;
  lexicalScore?: number;
}

export function queryWords(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []));
}

/**
 * Okapi BM25 in memory over documents given as term counts (stemmed lexemes → count), with the
 * server's k1 and b. The flywheel's learned fields (the expansion field, the reply memory's past
 * tickets) are small enough to score in process.
 */
export class TermBm25 {
  private readonly postings = new Map<string, { doc: number; tf: number }[]>();
  private readonly lengths: number[];
  private readonly avglen: number;

  constructor(docs: Record<string, number>[]) {
    this.lengths = docs.map((terms) => Object.values(terms).reduce((a, b) => a + b, 0));
    this.avglen = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, this.lengths.length) || 1;
    docs.forEach((terms, doc) => {
      for (const [term, tf] of Object.entries(terms)) {
        const list = this.postings.get(term) ?? [];
        list.push({ doc, tf });
        this.postings.set(term, list);
      }
    });
  }

  /** Documents (by index) matching any of the query's lexemes, best first. */
  search(lexemes: string[], depth: number): { doc: number; score: number }[] {
    const n = this.lengths.length;
    const scores = new Map<number, number>();
    for (const term of new Set(lexemes)) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const { doc, tf } of list) {
        const norm = tf + BM25.k1 * (1 - BM25.b + (BM25.b * this.lengths[doc]!) / this.avglen);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * (BM25.k1 + 1)) / norm);
      }
    }
    return [...scores.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, depth)
      .map(([doc, score]) => ({ doc, score }));
  }
}

export class LearnedRetrieval {
  private readonly index: TermBm25;
  private readonly ids: string[];

  constructor(
    readonly id: string,
    readonly version: number,
    readonly params: RetrievalModelParams,
  ) {
    this.ids = params.expansion.map((d) => d.articleId);
    this.index = new TermBm25(params.expansion.map((d) => d.terms));
  }

  /** BM25 over the expansion field; the query as its stemmed lexemes. Best first. */
  searchExpansion(lexemes: string[], depth = EXPANSION_DEPTH): { articleId: string; score: number }[] {
    return this.index.search(lexemes, depth).map(({ doc, score }) => ({ articleId: this.ids[doc]!, score }));
  }

  /** The feature vector of each candidate (see FEATURES). */
  features(query: string, candidates: Candidate[], expansion: { articleId: string; score: number }[]): number[][] {
    const words = queryWords(query);
    const below = candidates.filter((c) => c.lexicalRank).length + 1;
    const topExpansion = Math.max(1e-9, expansion[0]?.score ?? 0);
    const expansionAt = new Map(expansion.map((e, i) => [e.articleId, { rank: i + 1, score: e.score }]));
    return candidates.map((c) => {
      const e = expansionAt.get(c.articleId);
      const title = queryWords(c.title);
      let overlap = 0;
      for (const w of words) if (title.has(w)) overlap++;
      const [positives, labels] = this.params.priors[c.articleId] ?? [0, 0];
      return [
        1 / (c.lexicalRank ?? below),
        c.lexicalRank ? 1 : 0,
        1 - Math.log(c.lexicalRank ?? below) / Math.log(LOG_RANK_BASE),
        e ? 1 / e.rank : 0,
        e ? e.score / topExpansion : 0,
        e ? Math.log1p(e.score) : 0,
        words.size ? overlap / words.size : 0,
        Math.log1p(positives),
        (positives + 1) / (labels + 2),
      ];
    });
  }

  score(features: number[]): number {
    const { weights, bias, mean, std } = this.params.reranker;
    let z = bias;
    for (let i = 0; i < weights.length; i++) z += (weights[i]! * (features[i]! - mean[i]!)) / std[i]!;
    return z;
  }

  /** Orders candidates by the reranker; ties keep the lexical order. */
  rank<T extends Candidate>(query: string, candidates: T[], expansion: { articleId: string; score: number }[]): T[] {
    const feats = this.features(query, candidates, expansion);
    return candidates
      .map((c, i) => ({ c, s: this.score(feats[i]!), i }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map(({ c }) => c);
  }
}

/** Stemmed (`english`) lexemes of each text, as the BM25 index analyses chunks. */
export async function stemmedLexemes(database: Database, texts: string[]): Promise<string[][]> {
  if (!texts.length) return [];
  const rows = await database.query<{ i: number; lexemes: string[] | null }>(
    `select t.i::int as i, array(select lexeme from unnest(to_tsvector('english', t.txt))) as lexemes
       from unnest($1::text[]) with ordinality as t(txt, i)`,
    [texts.map((t) => t.slice(0, 4_000))],
  );
  const out: string[][] = texts.map(() => []);
  for (const row of rows) out[row.i - 1] = row.lexemes ?? [];
  return out;
}

/** The first chunk of each article, for expansion candidates the lexical list does not hold. */
export async function firstChunks(database: Database, tenantId: string, articleIds: string[]): Promise<RetrievedChunk[]> {
  if (!articleIds.length) return [];
  const rows = await database.query<{ chunk_id: string; article_id: string; title: string; url: string | null; heading: string | null; content: string }>(
    `select distinct on (a.external_id) c.chunk_id, a.external_id as article_id, a.title, a.url, c.heading, c.content
       from kb_articles a join kb_chunks c on c.tenant_id = a.tenant_id and c.article_id = a.id
      where a.tenant_id = $1 and a.external_id = any($2::text[])
      order by a.external_id, c.ordinal`,
    [tenantId, articleIds],
  );
  return rows.map((r) => ({ articleId: r.article_id, chunkId: r.chunk_id, title: r.title, url: r.url, heading: r.heading, content: r.content, score: 0, rank: 0 }));
}

/**
 * Lexical candidates plus the expansion field's, ordered by the learned reranker. Each chunk's
 * score becomes the reranker's (a logit); ranks are renumbered by the caller.
 */
export async function rerankWithModel(
  database: Database,
  tenantId: string,
  model: LearnedRetrieval,
  query: string,
  lexical: RetrievedChunk[],
  lexemes: string[],
): Promise<RetrievedChunk[]> {
  const expansion = model.searchExpansion(lexemes);
  const held = new Set(lexical.map((c) => c.articleId));
  const extra = await firstChunks(database, tenantId, expansion.map((e) => e.articleId).filter((id) => !held.has(id)));
  const candidates = [
    ...lexical.map((c, i) => ({ ...c, lexicalRank: i + 1, lexicalScore: c.score })),
    ...extra.map((c) => ({ ...c, lexicalRank: undefined, lexicalScore: undefined })),
  ];
  const feats = model.features(query, candidates, expansion);
  return candidates
    .map((c, i) => ({ c, s: model.score(feats[i]!), i }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map(({ c, s }) => {
      const { lexicalRank: _r, lexicalScore: _s, ...chunk } = c;
      return { ...chunk, score: s };
    });
}

/** Specific model versions kept in memory at once (experiment arms name a few per tenant). */
const MAX_CACHED_VERSIONS = 64;

/** How long a tenant's promoted model is trusted before the database is asked again. */
const RECHECK_MS = 10_000;

/**
 * The promoted retrieval model of each tenant, loaded from `models` and cached. `invalidate` drops a
 * tenant's entry at once (a promotion in this process); another process's promotion is seen within
 * RECHECK_MS, when a cheap id lookup says the promoted version changed.
 */
export class ModelCache {
  private readonly entries = new Map<string, { checked: number; model: Promise<LearnedRetrieval | null> }>();
  private readonly versions = new Map<string, Promise<LearnedRetrieval | null>>();

  constructor(private readonly database: Database) {}

  async get(tenantId: string): Promise<LearnedRetrieval | null> {
    const entry = this.entries.get(tenantId);
    const now = Date.now();
    if (entry && now - entry.checked < RECHECK_MS) return entry.model;
    if (entry) {
      const current = await entry.model.catch(() => null);
      const [row] = await this.database.query<{ id: string }>(
        `select id::text as id from models where tenant_id = $1 and kind = 'retrieval' and status = 'promoted' limit 1`,
        [tenantId],
      );
      if ((row?.id ?? null) === (current?.id ?? null)) {
        entry.checked = now;
        return current;
      }
    }
    const model = this.load(tenantId);
    this.entries.set(tenantId, { checked: now, model });
    model.catch(() => this.entries.delete(tenantId));
    return model;
  }

  /**
   * A specific version of a tenant's retrieval model, whatever its status (an experiment arm may
   * rerank with a candidate or a retired version). Versions never change once written, so they stay
   * cached; null when the tenant has no such model.
   */
  async byId(tenantId: string, id: string): Promise<LearnedRetrieval | null> {
    const cacheKey = `${tenantId}:${id}`;
    let model = this.versions.get(cacheKey);
    if (!model) {
      model = this.database
        .query<{ id: string; version: number; params: RetrievalModelParams }>(
          `select id::text as id, version, params from models where tenant_id = $1 and kind = 'retrieval' and id::text = $2`,
          [tenantId, id],
        )
        .then(([row]) => (row ? new LearnedRetrieval(row.id, row.version, row.params) : null));
      if (this.versions.size >= MAX_CACHED_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
      this.versions.set(cacheKey, model);
      model.catch(() => this.versions.delete(cacheKey));
    }
    return model;
  }

  invalidate(tenantId?: string): void {
    if (tenantId) this.entries.delete(tenantId);
    else this.entries.clear();
  }

  private async load(tenantId: string): Promise<LearnedRetrieval | null> {
    const [row] = await this.database.query<{ id: string; version: number; params: RetrievalModelParams }>(
      `select id::text as id, version, params from models where tenant_id = $1 and kind = 'retrieval' and status = 'promoted' limit 1`,
      [tenantId],
    );
    return row ? new LearnedRetrieval(row.id, row.version, row.params) : null;
  }
}
