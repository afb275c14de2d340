import { randomUUID } from 'node:crypto';
import type { ExperimentRef, SuggestRequest, SuggestResponse } from '../lib/contract';
import type { Database } from './db/client';
import { suggestions } from './db/schema';
import { composeExtractive, EXTRACTIVE_PROFILES } from './generation/extractive';
import { retrieveArticles } from './retrieval';
import { queryFromTicket } from './retrieval/query';

/** Until the experiments issue lands, every agent sees the two profiles side by side. */
const DEFAULT_EXPERIMENT: ExperimentRef = { key: 'baseline', arm: 'pairwise' };

export interface Caller {
  tenantId: string;
  teamId: string;
  agentId: string;
}

export async function suggest(database: Database, caller: Caller, request: SuggestRequest): Promise<SuggestResponse> {
  const started = performance.now();
  const query = queryFromTicket(request);
  const articles = await retrieveArticles(database, caller.tenantId, query);
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
