import type { SuggestedArticle } from '../../lib/contract';
import type { Database } from '../db/client';
import { retrieveLexical } from './lexical';

/** Articles shown to the agent and given to the generator. */
export const SHOWN_ARTICLES = 8;
/** Chunks fetched before collapsing to one per article. */
const CANDIDATE_CHUNKS = 40;
const SNIPPET_CHARS = 280;

/** A shown article with the text of its best-matching chunk, which generation reads. */
export interface ArticleText extends SuggestedArticle {
  content: string;
}

/** The top articles for a query, one (best) chunk each, numbered 1..n as replies cite them. */
export async function retrieveArticles(database: Database, tenantId: string, query: string): Promise<ArticleText[]> {
  const chunks = await retrieveLexical(database, tenantId, query, CANDIDATE_CHUNKS);
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
    if (articles.length === SHOWN_ARTICLES) break;
  }
  return articles;
}

function snippet(content: string): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, '')}…`;
}
