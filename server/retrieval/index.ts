import type { SuggestedArticle } from '../../lib/contract';
import type { Database } from '../db/client';
import { clipAtWord } from '../text';
import { embedPendingChunks, retrieveDense } from './dense';
import type { Embedder } from './embeddings';
import { ModelCache, rerankWithModel, stemmedLexemes } from './learned';
import { retrieveLexical, RRF_K, type RetrievedChunk } from './lexical';

/** Candidates each retriever contributes before fusion and reranking (the paper's recall@75). */
export const CANDIDATES = 75;
/** Articles shown to the agent and given to the generator. */
export const SHOWN_ARTICLES = 8;
const SNIPPET_CHARS = 280;

/**
 * Reorders retrieval candidates so that the best ones come first. The identity keeps the fused
 * order; the flywheel promotes learned versions behind this interface.
 */
export interface Reranker {
  version: string;
  rerank(query: string, candidates: RetrievedChunk[]): RetrievedChunk[] | Promise<RetrievedChunk[]>;
}

export const IDENTITY_RERANKER: Reranker = { version: 'identity', rerank: (_query, candidates) => candidates };

export interface DenseOptions {
  embedder: Embedder;
  model: string;
}

export interface Retriever {
  /** Whether dense search takes part (an embedder is configured and the database has `vector`). */
  readonly dense: boolean;
  reranker: Reranker;
  /**
   * The tenants' promoted flywheel models (feedback expansion and learned reranker). Where a tenant
   * has one it replaces `reranker`; without one retrieval is exactly as before.
   */
  models?: ModelCache;
  /**
   * The top k chunks for a query: the one ranking `/v1/retrieve` and the overlay both get. `reranker`
   * (an experiment arm's): `promoted` (the default) for the tenant's promoted model, `none` for no
   * learned model, or a model id for that version.
   */
  retrieve(tenantId: string, query: string, k: number, options?: { reranker?: string }): Promise<RetrievedChunk[]>;
  /** Embeds chunks that have none yet; a no-op without dense search. Serialized: one run at a time. */
  indexPending(tenantId?: string): Promise<number>;
}

/** Reciprocal rank fusion: each list adds 1/(k + rank) for the chunks it holds. */
export function fuseByRank(lists: RetrievedChunk[][], limit: number): RetrievedChunk[] {
  const fused = new Map<string, { chunk: RetrievedChunk; score: number }>();
  for (const list of lists) {
    list.forEach((chunk, i) => {
      const entry = fused.get(chunk.chunkId) ?? { chunk, score: 0 };
      entry.score += 1 / (RRF_K + i + 1);
      fused.set(chunk.chunkId, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.chunk.chunkId.localeCompare(b.chunk.chunkId))
    .slice(0, limit)
    .map(({ chunk, score }, i) => ({ ...chunk, score, rank: i + 1 }));
}

/**
 * Lexical BM25 candidates, fused with dense candidates where embeddings are available, then
 * reranked. Without an embedder, or on a database without the `vector` extension, lexical
 * retrieval serves alone and correctly.
 */
export function createRetriever(database: Database, dense?: DenseOptions): Retriever {
  const denseOn = Boolean(dense && database.vector);
  let indexing: Promise<number> = Promise.resolve(0);
  const retriever: Retriever = {
    dense: denseOn,
    reranker: IDENTITY_RERANKER,
    models: new ModelCache(database),
    async retrieve(tenantId, query, k, options = {}) {
      const depth = Math.max(k, CANDIDATES);
      const choice = options.reranker ?? 'promoted';
      const learned =
        choice === 'none'
          ? null
          : ((await (choice === 'promoted' ? retriever.models?.get(tenantId) : retriever.models?.byId(tenantId, choice))) ?? null);
      const lexemes = learned && query.trim() ? stemmedLexemes(database, [query]) : undefined;
      let candidates: RetrievedChunk[];
      if (denseOn && dense) {
        const [lexical, [vector]] = await Promise.all([
          retrieveLexical(database, tenantId, query, depth),
          dense.embedder.embed([query.slice(0, 8_000)]),
        ]);
        const nearest = await retrieveDense(database, tenantId, vector!, dense.model, depth);
        candidates = fuseByRank([lexical, nearest], depth);
      } else {
        candidates = await retrieveLexical(database, tenantId, query, depth);
      }
      // A promoted flywheel model adds the expansion field's candidates and orders all of them;
      // its "lexical" features then describe the fused list.
      const reranked =
        learned && lexemes
          ? await rerankWithModel(database, tenantId, learned, query, candidates, (await lexemes)[0] ?? [])
          : await retriever.reranker.rerank(query, candidates);
      return reranked.slice(0, k).map((chunk, i) => ({ ...chunk, rank: i + 1 }));
    },
    indexPending(tenantId) {
      if (!denseOn || !dense) return Promise.resolve(0);
      indexing = indexing.catch(() => 0).then(() => embedPendingChunks(database, dense.embedder, dense.model, tenantId));
      return indexing;
    },
  };
  return retriever;
}

/** A shown article with the text of its best-matching chunk, which generation reads. */
export interface ArticleText extends SuggestedArticle {
  content: string;
}

export interface ArticleOptions {
  /** How many articles to show (an experiment arm's `retrieval.k`); SHOWN_ARTICLES by default. */
  shown?: number;
  /** The reranker to order candidates with (see Retriever.retrieve); the promoted one by default. */
  reranker?: string;
}

/** The top articles for a query, one (best) chunk each, numbered 1..n as replies cite them. */
export async function retrieveArticles(retriever: Retriever, tenantId: string, query: string, options: ArticleOptions = {}): Promise<ArticleText[]> {
  const limit = options.shown ?? SHOWN_ARTICLES;
  const chunks = await retriever.retrieve(tenantId, query, CANDIDATES, options.reranker ? { reranker: options.reranker } : undefined);
  const seen = new Set<string>();
  const articles: ArticleText[] = [];
  for (const chunk of chunks) {
    if (seen.has(chunk.articleId)) continue;
    seen.add(chunk.articleId);
    const n = articles.length + 1;
    articles.push({
      n,
      rank: n,
      articleId: chunk.articleId,
      chunkId: chunk.chunkId,
      title: chunk.title,
      score: chunk.score,
      url: chunk.url,
      snippet: snippet(chunk.content),
      content: chunk.content,
    });
    if (articles.length === limit) break;
  }
  return articles;
}

function snippet(content: string): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  return clipAtWord(flat, SNIPPET_CHARS, '…');
}
