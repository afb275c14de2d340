import { randomUUID } from 'node:crypto';
import type { Candidate, ExperimentArm, ExperimentRef, SuggestRequest, SuggestResponse, SuggestStreamMeta } from '../lib/contract';
import type { Database } from './db/client';
import type { TenantSettingsCache } from './tenant-settings';
import { suggestions } from './db/schema';
import { experimentFor, pairwiseArmsFor, shouldAnnotate, singleArmFor } from './experiments/assignment';
import type { RunningExperiments } from './experiments/store';
import { createGenerator, type Generator } from './generation';
import { OFFLINE_GENERATION, type GenerationProfile } from './generation/profiles';
import type { PromptVersion } from './generation/prompt';
import type { ReplyMemoryCache } from './generation/reply-memory';
import { stemmedLexemes } from './retrieval/learned';
import { createRetriever, retrieveArticles, type ArticleOptions, type Retriever } from './retrieval';
import { queryFromTicket } from './retrieval/query';

/** Agents in no running experiment (or outside its traffic share) see the two configured profiles side by side. */
const DEFAULT_EXPERIMENT: ExperimentRef = { key: 'baseline', arm: 'pairwise' };

export interface Caller {
  tenantId: string;
  teamId: string;
  /** The team's slug, which experiments target. */
  teamSlug: string;
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
  /** The tenants' running experiments; absent, every agent gets the baseline. */
  experiments?: RunningExperiments;
  /** The tenants' settings: their annotation sampling applies to baseline suggestions. */
  tenantSettings?: TenantSettingsCache;
  /** The tenants' promoted reply memories (adopted replies to similar tickets); absent or none promoted, replies are composed without. */
  replyMemories?: ReplyMemoryCache;
}

/** What one suggestion is made with: the experiment ref it reports and the arms' recipes. */
interface SuggestionPlan {
  experiment: ExperimentRef;
  /** The arms' generation profiles in side order; absent for the baseline (the configured pair). */
  profiles?: GenerationProfile[];
  retrieval: ArticleOptions;
  annotate: boolean;
}

const BASELINE_PLAN: SuggestionPlan = { experiment: DEFAULT_EXPERIMENT, retrieval: {}, annotate: true };

function profileOf(arm: ExperimentArm): GenerationProfile {
  return {
    arm: arm.name,
    // Checked against PROMPT_VERSIONS when the experiment was written; versions are never removed.
    promptVersion: arm.generation.promptVersion as PromptVersion,
    model: arm.generation.model,
    temperature: arm.generation.temperature,
    maxTokens: arm.generation.maxTokens,
  };
}

/**
 * The caller's experiment and arms for this suggestion (see server/experiments/assignment.ts). The
 * overlay shows one list of articles, and both candidates cite its numbers, so a pairwise suggestion
 * retrieves once, with the left (first) arm's reranker and k: with two arms that is always the first
 * arm declared, so arms compared pairwise should share their retrieval settings unless retrieval is
 * meant to be part of what the left arm brings.
 */
async function planSuggestion(caller: Caller, suggestionId: string, options: SuggestOptions): Promise<SuggestionPlan> {
  const running = options.experiments;
  const experiment = running && experimentFor(await running.get(caller.tenantId), { agentId: caller.agentId, teamSlug: caller.teamSlug });
  if (!experiment) {
    // The baseline asks for labels at the tenant's sampling rate (every time unless an admin set one).
    const sampling = (await options.tenantSettings?.get(caller.tenantId))?.settings.annotationSampling;
    return sampling === undefined ? BASELINE_PLAN : { ...BASELINE_PLAN, annotate: shouldAnnotate(suggestionId, sampling) };
  }
  const arms = experiment.mode === 'single' ? [singleArmFor(experiment, caller.agentId)] : pairwiseArmsFor(experiment, suggestionId);
  return {
    experiment: { key: experiment.key, arm: arms.map((a) => a.name).join('+') },
    profiles: arms.map(profileOf),
    retrieval: { shown: arms[0]!.retrieval.k, reranker: arms[0]!.reranker },
    annotate: shouldAnnotate(suggestionId, experiment.annotationSampling),
  };
}

let offlineGenerator: Generator | undefined;

/**
 * Retrieves the articles for a ticket, generates the candidates citing them (the two configured
 * profiles, or the caller's experiment arms), and stores the suggestion (with per-candidate usage
 * and timings) so that later events can be joined to it.
 */
export async function suggest(
  database: Database,
  caller: Caller,
  request: SuggestRequest,
  options: SuggestOptions = {},
): Promise<SuggestResponse> {
  const started = performance.now();
  const generator = options.generator ?? (offlineGenerator ??= createGenerator(OFFLINE_GENERATION));
  const suggestionId = randomUUID();
  const plan = await planSuggestion(caller, suggestionId, options);
  const query = queryFromTicket(request);
  const articles = await retrieveArticles(options.retriever ?? createRetriever(database), caller.tenantId, query, plan.retrieval);
  const shown = articles.map(({ content: _content, ...article }) => article);
  options.listener?.meta?.({
    type: 'meta',
    suggestionId,
    experiment: plan.experiment,
    annotate: plan.annotate,
    articles: shown,
    candidates: generator.plan(suggestionId, plan.profiles),
  });
  // After the meta event, which the overlay lays out at once. Past tickets are indexed by the stemmed
  // words of their retrieval query, so the new one is too.
  const memory = (await options.replyMemories?.get(caller.tenantId)) ?? null;
  const replyExamples = memory && query.trim() ? memory.nearest((await stemmedLexemes(database, [query]))[0] ?? []) : undefined;
  const { candidates, records } = await generator.generate({
    suggestionId,
    ticket: request,
    query,
    articles,
    profiles: plan.profiles,
    replyExamples,
    replyMemory: memory ? { id: memory.id, version: memory.version } : undefined,
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
    experiment: plan.experiment,
    candidates,
    articles: shown,
    latencyMs,
    generation: records,
  });
  return { suggestionId, experiment: plan.experiment, annotate: plan.annotate, candidates, articles: shown, latencyMs };
}
