import { randomUUID } from 'node:crypto';
import type { ExperimentRef, SuggestRequest, SuggestResponse } from '../lib/contract';
import type { Database } from './db/client';
import { suggestions } from './db/schema';
import { composeExtractive, EXTRACTIVE_PROFILES, type ArticleText } from './generation/extractive';
import { retrieveLexical } from './retrieval/lexical';
import { queryFromTicket } from './retrieval/query';

/** Articles shown to the agent and given to the generator. */
export const SHOWN_ARTICLES = 8;
/** Chunks fetched before collapsing to one per article. */
const CANDIDATE_CHUNKS = 40;
const SNIPPET_CHARS = 280;

/** Until the experiments issue lands, every agent sees the two extractive profiles side by side. */
const DEFAULT_EXPERIMENT: ExperimentRef = { key: 'baseline', arm: 'pairwise' };

export interface Caller {
  tenantId: string;
  teamId: string;
  agentId: string;
}

export async function suggest(database: Database, caller: Caller, request: SuggestRequest): Promise<SuggestResponse> {
  const started = performance.now();
  const query = queryFromTicket(request);
  const chunks = await retrieveLexical(database, caller.tenantId, query, CANDIDATE_CHUNKS);
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
  const suggestionId = randomUUID();
  const candidates = EXTRACTIVE_PROFILES.map((profile) =>
    composeExtractive(query, articles, profile, `${suggestionId}:${profile.arm}`),
  );
  const shown = articles.map(({ content: _content, ...article }) => article);
  const latencyMs = Math.round(performance.now() - started);
  await database.db.insert(suggestions).values({
    id: suggestionId,
    tenantId: caller.tenantId,
    teamId: caller.teamId,
    agentId: caller.agentId,
    helpdesk: request.helpdesk,
    ticketId: request.ticketId,
    context: request,
    experiment: DEFAULT_EXPERIMENT,
    candidates,
    articles: shown,
    latencyMs,
  });
  return { suggestionId, experiment: DEFAULT_EXPERIMENT, candidates, articles: shown, latencyMs };
}

function snippet(content: string): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, '')}…`;
}
