import { randomUUID } from 'node:crypto';
import type { Candidate, ExperimentRef, SuggestRequest, SuggestResponse, SuggestStreamMeta } from '../lib/contract';
import type { Database } from './db/client';
import { suggestions } from './db/schema';
import { createGenerator, type Generator } from './generation';
import { OFFLINE_GENERATION } from './generation/profiles';
import { createRetriever, retrieveArticles, type Retriever } from './retrieval';
import { queryFromTicket } from './retrieval/query';

/** Until the experiments issue lands, every agent sees the two profiles side by side. */
const DEFAULT_EXPERIMENT: ExperimentRef = { key: 'baseline', arm: 'pairwise' };

export interface Caller {
  tenantId: string;
  teamId: string;
  agentId: string;
}

/** Streaming callbacks, in the order of the SSE events they become. */
export interface SuggestListener {
  meta?(meta: SuggestStreamMeta): void;
  delta?(candidateId: string, text: string): void;
  candidate?(candidate: Candidate): void;
}

export interface SuggestOptions {
  /** Defaults to the extractive generator for both arms. */
  generator?: Generator;
  listener?: SuggestListener;
  /** Aborts model calls when nobody waits for the answer any more. */
  signal?: AbortSignal;
  /** The app's retriever (dense + reranker when configured); lexical BM25 alone when absent. */
  retriever?: Retriever;
}

let offlineGenerator: Generator | undefined;

/**
 * Retrieves the articles for a ticket, generates two candidates citing them, and stores the
 * suggestion (with per-candidate usage and timings) so that later events can be joined to it.
 */
export async function suggest(
  database: Database,
  caller: Caller,
  request: SuggestRequest,
  options: SuggestOptions = {},
): Promise<SuggestResponse> {
  const started = performance.now();
  const generator = options.generator ?? (offlineGenerator ??= createGenerator(OFFLINE_GENERATION));
  const query = queryFromTicket(request);
  const articles = await retrieveArticles(options.retriever ?? createRetriever(database), caller.tenantId, query);
  const suggestionId = randomUUID();
  const shown = articles.map(({ content: _content, ...article }) => article);
  options.listener?.meta?.({
    type: 'meta',
    suggestionId,
    experiment: DEFAULT_EXPERIMENT,
    articles: shown,
    candidates: generator.plan(suggestionId),
  });
  const { candidates, records } = await generator.generate({
    suggestionId,
    ticket: request,
    query,
    articles,
    signal: options.signal,
    onDelta: options.listener?.delta,
    onCandidate: options.listener?.candidate,
  });
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
    generation: records,
  });
  return { suggestionId, experiment: DEFAULT_EXPERIMENT, candidates, articles: shown, latencyMs };
}
