import type { AdoptionOutcome, Candidate, RelevanceLabel } from '../../lib/contract';
import type { Database } from '../db/client';
import { queryFromTicket } from '../retrieval/query';
import { loadChunks, passage, shownChunkIds, type ChunkText, type StoredSuggestion } from './context';
import { afterCursor, eventConditions, keysetPages, notSuperseded, Params, type ExportScope, type KeysetRow } from './scope';
import { jsonLine, trecId, tsvField } from './text';

export type RetrievalFormat = 'qrels' | 'queries' | 'queries-jsonl' | 'triplets';

/** TREC relevance grades of the agents' labels. */
export const LABEL_GRADE: Record<RelevanceLabel, number> = { relevant: 2, partly: 1, irrelevant: 0, outdated: 0 };
/** Grade of an article cited by a reply the agent adopted and no agent labelled. */
export const CITED_GRADE = 2;
/** Unlabelled lower-ranked articles used as negatives of a positive when no article was labelled irrelevant. */
export const FALLBACK_NEGATIVES = 3;

const ADOPTED: AdoptionOutcome[] = ['verbatim', 'edited', 'partial'];

interface SuggestionRow extends StoredSuggestion, KeysetRow {
  suggestion_id: string;
}

interface JudgmentEvent {
  suggestion_id: string;
  agent_id: string;
  type: 'knowledge.relevance' | 'adoption';
  payload:
    | { articleId: string; chunkId?: string; label: RelevanceLabel }
    | { candidateId: string | null; outcome: AdoptionOutcome; finalText: string };
}

/** What is known about one article for one query. */
export interface Judgment {
  articleId: string;
  grade: number;
  /** The agents' latest labels (one per agent); empty when the grade comes from a citation. */
  labels: RelevanceLabel[];
  /** The same labels with the agent who gave each (for annotation quality, server/flywheel/annotators.ts). */
  byAgent: { agentId: string; label: RelevanceLabel }[];
  /** Agents whose adopted reply cited the article. */
  citedBy: string[];
  chunkId?: string;
  /** Rank at which the suggestion showed the article; absent when it was not shown. */
  rank?: number;
}

/**
 * Retrieval training and evaluation data, one query per suggestion: its ticket rendered as the
 * retrieval query it was (server/retrieval/query.ts), judged by the agents' relevance labels and
 * by the articles cited in replies they adopted.
 *
 * - `qrels`: TREC lines `qid 0 docid rel`, qid the suggestion id, docid the article's own id,
 *   rel 2 relevant, 1 partly, 0 irrelevant or outdated. An article cited by an adopted reply and
 *   labelled by nobody counts 2; an agent's label wins over a citation, the latest label of each
 *   agent counts, and across agents the highest grade.
 * - `queries` (`qid<TAB>text`) and `queries-jsonl` (`{_id, text}`): the queries that have judgments.
 * - `triplets`: `{query, positive, negative}` with passage texts (title, heading, chunk). Positives
 *   are grade 2; negatives the articles labelled irrelevant, or else, per positive, up to
 *   FALLBACK_NEGATIVES shown below it that nobody labelled or cited. Outdated articles are neither
 *   (they are often on topic). A passage whose chunk no longer exists is left out.
 */
export async function* retrievalLines(database: Database, scope: ExportScope, format: RetrievalFormat): AsyncGenerator<string> {
  for await (const page of judgedSuggestions(database, scope)) {
    const judged = await judge(database, scope, page);
    const chunks =
      format === 'triplets'
        ? await loadChunks(database, scope.tenantId, [
            ...shownChunkIds(page),
            ...judged.flatMap(({ judgments }) => judgments.flatMap((j) => (j.chunkId ? [j.chunkId] : []))),
          ])
        : new Map<string, ChunkText>();
    let out = '';
    for (const { suggestion, judgments } of judged) {
      if (judgments.length === 0) continue;
      const qid = trecId(suggestion.suggestion_id);
      const query = queryFromTicket(suggestion.context);
      if (format === 'qrels') for (const j of judgments) out += `${qid} 0 ${trecId(j.articleId)} ${j.grade}\n`;
      else if (format === 'queries') out += `${qid}\t${tsvField(query)}\n`;
      else if (format === 'queries-jsonl') out += jsonLine({ _id: qid, text: query });
      else for (const t of triplets(suggestion, judgments, chunks)) out += jsonLine({ query, positive: t[0], negative: t[1] });
    }
    if (out) yield out;
  }
}

/** One judged suggestion: the retrieval query it was asked with and what the agents said of its articles. */
export interface JudgedSuggestion {
  qid: string;
  query: string;
  judgments: Judgment[];
}

/**
 * The same judged suggestions as `retrievalLines`, as objects with each agent's own label kept: what
 * the flywheel learns from (it weighs agents by annotation quality, which the TREC formats cannot carry).
 */
export async function* judgedSuggestionPages(database: Database, scope: ExportScope): AsyncGenerator<JudgedSuggestion[]> {
  for await (const page of judgedSuggestions(database, scope)) {
    const judged = await judge(database, scope, page);
    yield judged.flatMap(({ suggestion, judgments }) =>
      judgments.length ? [{ qid: trecId(suggestion.suggestion_id), query: queryFromTicket(suggestion.context), judgments }] : [],
    );
  }
}

/** Pages of suggestions with a relevance label or an adoption in the scope, oldest first. */
function judgedSuggestions(database: Database, scope: ExportScope): AsyncGenerator<SuggestionRow[]> {
  return keysetPages<SuggestionRow>(database, scope.pageSize, (params, after) => {
    const tenant = params.add(scope.tenantId);
    const judgment = judgmentConditions(scope, params);
    return `select s.id::text as suggestion_id, s.context, s.candidates, s.articles,
                   s.created_at::text as cursor_time, s.id::text as cursor_id
              from suggestions s
             where s.tenant_id = ${tenant}::uuid
               and exists (select 1 from events e where e.suggestion_id = s.id and ${judgment.join(' and ')})
               ${afterCursor(params, after, 's.created_at', 's.id').map((c) => `and ${c}`).join(' ')}
             order by s.created_at, s.id
             limit ${scope.pageSize}`;
  });
}

/**
 * Relevance labels no later label of the same agent on the same article of the suggestion replaced
 * (even one outside the window), and adoptions of a candidate.
 */
function judgmentConditions(scope: ExportScope, params: Params): string[] {
  const latestLabel = notSuperseded('knowledge.relevance', params, `and later.payload->>'articleId' = e.payload->>'articleId'`);
  return [
    ...eventConditions(scope, params),
    `((e.type = 'knowledge.relevance' and ${latestLabel})
      or (e.type = 'adoption' and e.payload->>'outcome' = any(${params.add(ADOPTED)}::text[])))`,
  ];
}

/**
 * The judgments of each suggestion of a page, in the order the suggestion showed the articles. The
 * events are those of judgmentConditions, found in one pass over the page's events: a label is its
 * agent's latest on the article when it is first of its group newest first (the same test as
 * notSuperseded's, which looks an event's later ones up one event at a time).
 */
async function judge(database: Database, scope: ExportScope, page: SuggestionRow[]) {
  const params = new Params();
  const ids = params.add(page.map((s) => s.suggestion_id));
  const relevance = params.add('knowledge.relevance');
  const conditions = [
    ...eventConditions(scope, params),
    `((e.type = ${relevance} and (e.newest = 1 or e.payload->>'articleId' is null))
      or (e.type = 'adoption' and e.payload->>'outcome' = any(${params.add(ADOPTED)}::text[])))`,
  ];
  const events = await database.query<JudgmentEvent>(
    `select e.suggestion_id::text as suggestion_id, e.agent_id::text as agent_id, e.type, e.payload
       from (select e.*, case when e.type = ${relevance} then
                    row_number() over (partition by e.tenant_id, e.suggestion_id, e.agent_id, e.type, e.payload->>'articleId'
                                       order by e.client_created_at desc, e.id desc) end as newest
               from events e
              where e.suggestion_id = any(${ids}::uuid[]) and e.type in (${relevance}, 'adoption')) e
      where ${conditions.join(' and ')}
      order by e.client_created_at, e.id`,
    params.values,
  );
  const bySuggestion = new Map<string, JudgmentEvent[]>();
  for (const event of events) {
    const list = bySuggestion.get(event.suggestion_id) ?? [];
    list.push(event);
    bySuggestion.set(event.suggestion_id, list);
  }
  return page.map((suggestion) => ({ suggestion, judgments: judgmentsOf(suggestion, bySuggestion.get(suggestion.suggestion_id) ?? []) }));
}

function judgmentsOf(suggestion: SuggestionRow, events: JudgmentEvent[]): Judgment[] {
  const shown = new Map((suggestion.articles ?? []).map((a) => [a.articleId, a]));
  // judgmentConditions leaves each agent's latest label of an article; the agents may disagree.
  const labels = new Map<string, Map<string, { label: RelevanceLabel; chunkId?: string }>>();
  const cited = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.type === 'knowledge.relevance' && 'label' in event.payload) {
      const byAgent = labels.get(event.payload.articleId) ?? new Map();
      byAgent.set(event.agent_id, { label: event.payload.label, chunkId: event.payload.chunkId });
      labels.set(event.payload.articleId, byAgent);
    } else if (event.type === 'adoption' && 'outcome' in event.payload) {
      for (const articleId of citedArticles(suggestion, event.payload)) cited.set(articleId, (cited.get(articleId) ?? new Set()).add(event.agent_id));
    }
  }
  const judgments: Judgment[] = [];
  for (const articleId of new Set([...labels.keys(), ...cited.keys()])) {
    const agentLabels = [...(labels.get(articleId)?.values() ?? [])];
    const grade = agentLabels.length ? Math.max(...agentLabels.map((l) => LABEL_GRADE[l.label])) : CITED_GRADE;
    const article = shown.get(articleId);
    judgments.push({
      articleId,
      grade,
      labels: agentLabels.map((l) => l.label),
      byAgent: [...(labels.get(articleId) ?? [])].map(([agentId, l]) => ({ agentId, label: l.label })),
      citedBy: [...(cited.get(articleId) ?? [])],
      chunkId: agentLabels.find((l) => l.chunkId)?.chunkId ?? article?.chunkId,
      rank: article?.rank,
    });
  }
  return judgments.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.articleId.localeCompare(b.articleId));
}

/**
 * The articles an adopted reply cites. A verbatim reply cites what its candidate cited. An edited or
 * partial reply cites the `[n]` markers left in the agent's text; when the agent removed every
 * marker, an edited reply (still close to its candidate) keeps the candidate's citations and a
 * partial one cites nothing.
 */
function citedArticles(suggestion: StoredSuggestion, adoption: { candidateId: string | null; outcome: AdoptionOutcome; finalText: string }): string[] {
  const candidate: Candidate | undefined = suggestion.candidates.find((c) => c.id === adoption.candidateId);
  const numbers = new Map((suggestion.articles ?? []).map((a) => [a.n, a.articleId]));
  let cited: number[] = [];
  if (adoption.outcome === 'verbatim') cited = candidate?.citations ?? [];
  else {
    const markers = [...adoption.finalText.matchAll(/\[(\d{1,3})\]/g)].map((m) => Number(m[1]));
    if (markers.length) cited = markers;
    else if (adoption.outcome === 'edited') cited = candidate?.citations ?? [];
  }
  return cited.flatMap((n) => (numbers.has(n) ? [numbers.get(n)!] : []));
}

function triplets(suggestion: StoredSuggestion, judgments: Judgment[], chunks: Map<string, ChunkText>): [string, string][] {
  const text = (chunkId: string | undefined) => (chunkId ? chunks.get(chunkId) : undefined);
  const judged = new Set(judgments.map((j) => j.articleId));
  const unjudged = (suggestion.articles ?? []).filter((a) => !judged.has(a.articleId)).sort((a, b) => a.rank - b.rank);
  const irrelevant = judgments.filter((j) => j.grade === 0 && j.labels.includes('irrelevant') && !j.labels.includes('outdated'));
  const out: [string, string][] = [];
  for (const positive of judgments.filter((j) => j.grade === 2)) {
    const pos = text(positive.chunkId);
    if (!pos) continue;
    const negatives = irrelevant.length
      ? irrelevant.map((j) => j.chunkId)
      : unjudged.filter((a) => a.rank > (positive.rank ?? Infinity)).slice(0, FALLBACK_NEGATIVES).map((a) => a.chunkId);
    for (const chunkId of negatives) {
      const neg = text(chunkId);
      if (neg && neg.articleId !== pos.articleId) out.push([passage(pos), passage(neg)]);
    }
  }
  return out;
}
