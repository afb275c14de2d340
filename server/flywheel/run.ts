import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client';
import { models } from '../db/schema';
import { CITED_GRADE, judgedSuggestionPages, LABEL_GRADE } from '../exports/retrieval';
import { PAGE_SIZE } from '../exports/scope';
import { CANDIDATES } from '../retrieval';
import { LearnedRetrieval, stemmedLexemes, type Candidate, type ModelCache, type RetrievalModelParams } from '../retrieval/learned';
import { retrieveLexicalAll } from '../retrieval/lexical-batch';
import { estimateAnnotationQuality, pairKey, queryKeyOf, type AgentLabel, type AnnotationQuality } from './annotators';
import { beats, heldOutMetrics, positivesOf, rankArticles, splitHeldOut, trainModel, type HeldOutMetrics, type JudgedQuery, type QueryContext } from './learn';
import { nextVersion, promoteModel, RETRIEVAL_KIND, type ModelInvalidator } from './models';
import { runReplyMemory, type ReplyMemoryRunResult } from './reply-memory';

/** Called as each stage advances: `done` of `total` steps of that stage. */
export type FlywheelProgress = (stage: FlywheelStage, done: number, total: number) => void;
export type FlywheelStage = 'export' | 'retrieve' | 'learn' | 'evaluate' | 'gate' | 'generation';

export interface FlywheelResult {
  modelId: string | null;
  version: number | null;
  status: 'promoted' | 'candidate' | 'skipped';
  /** Why nothing was learned, when status is skipped. */
  reason?: string;
  heldOut: {
    candidate: HeldOutMetrics;
    /** The version promoted before the run, or `null` for retrieval without a model. */
    current: HeldOutMetrics & { version: number | null };
  } | null;
  trainedOn: { queries: number; labels: number; positives: number; articles: number; heldOutQueries: number };
  /** Each agent's estimated annotation quality (null when weighting was off). */
  annotators: AnnotatorSummary | null;
  seconds: number;
  /** The generation turn: the reply memory learned from adopted replies (server/flywheel/reply-memory.ts). */
  generation: ReplyMemoryRunResult;
}

/** What a cycle stores and returns of the annotation-quality model (without the per-pair posteriors). */
export type AnnotatorSummary = Omit<AnnotationQuality, 'posterior'>;

export interface FlywheelOptions {
  onProgress?: FlywheelProgress;
  /** Retrieval's model cache, dropped for the tenant when a retrieval version is promoted. */
  cache?: ModelCache;
  /** The reply memories' cache, dropped for the tenant when a memory is promoted. */
  replyMemories?: ModelInvalidator;
  /**
   * Weigh each label by its agent's estimated accuracy (server/flywheel/annotators.ts); on by
   * default. Off, every label counts as certain (the benchmark compares both).
   */
  annotationWeighting?: boolean;
}

/**
 * One turn of the flywheel for a tenant: retrieval (below), then generation's reply memory. Each
 * kind is learned, evaluated on its own held-out slice and gated on its own; the fields at the top
 * level are retrieval's, as they were before generation learned too.
 */
export async function runFlywheel(database: Database, tenantId: string, options: FlywheelOptions = {}): Promise<FlywheelResult> {
  const started = performance.now();
  const retrieval = await runRetrievalFlywheel(database, tenantId, options);
  options.onProgress?.('generation', 0, 1);
  const generation = await runReplyMemory(database, tenantId, { cache: options.replyMemories });
  options.onProgress?.('generation', 1, 1);
  return { ...retrieval, generation, seconds: (performance.now() - started) / 1000 };
}

/** Fewest judged queries worth learning from. */
export const MIN_QUERIES = 20;

/**
 * Retrieval's turn of the flywheel for a tenant: export the judged queries (the `retrieval` dataset: each
 * suggestion's query with the agents' labels and adopted citations), learn an expansion field and a
 * reranker, evaluate it on a held-out slice of the queries (split by ticket text; never trained on)
 * against the version promoted now, and promote it only if it beats that version (`beats`). A version
 * that passes is then refit on all judged queries before it is stored; its metrics are the held-out
 * ones of the fit without the slice.
 */
async function runRetrievalFlywheel(
  database: Database,
  tenantId: string,
  options: Pick<FlywheelOptions, 'onProgress' | 'cache' | 'annotationWeighting'> = {},
): Promise<Omit<FlywheelResult, 'generation'>> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});

  // Export.
  progress('export', 0, 1);
  // Fresh planner statistics first: PGlite never auto-analyzes, and without them the export's
  // per-event "not superseded" checks were planned as scans (minutes for a few thousand tickets).
  await database.query('analyze events');
  await database.query('analyze suggestions');
  const scope = { tenantId, time: 'received' as const, pageSize: PAGE_SIZE };
  const agentLabels: AgentLabel[] = [];
  const firstTextOf = new Map<string, string>();
  let labels = 0;
  for await (const page of judgedSuggestionPages(database, scope)) {
    for (const { query, judgments } of page) {
      if (!query.trim()) continue;
      const queryKey = queryKeyOf(query);
      if (!firstTextOf.has(queryKey)) firstTextOf.set(queryKey, query);
      for (const j of judgments) {
        for (const { agentId, label } of j.byAgent) {
          agentLabels.push({ queryKey, articleId: j.articleId, agentId, relevant: LABEL_GRADE[label] >= 1, rank: j.rank, cited: j.citedBy.includes(agentId) });
          labels++;
        }
        for (const agentId of j.citedBy) {
          if (!j.byAgent.some((l) => l.agentId === agentId)) agentLabels.push({ queryKey, articleId: j.articleId, agentId, relevant: null, rank: j.rank, cited: true });
        }
      }
    }
  }
  // One judged query per distinct query text: tickets asked the same way are one training example,
  // judged by everyone who judged any of them.
  const quality = options.annotationWeighting === false ? null : estimateAnnotationQuality(agentLabels);
  const byQuery = new Map<string, JudgedQuery>();
  for (const l of agentLabels) {
    let q = byQuery.get(l.queryKey);
    if (!q) byQuery.set(l.queryKey, (q = { qid: `q${byQuery.size + 1}`, query: firstTextOf.get(l.queryKey)!, grades: new Map(), relevance: quality ? new Map() : undefined }));
    const grade = l.relevant === null ? CITED_GRADE : l.relevant ? 2 : 0;
    q.grades.set(l.articleId, Math.max(q.grades.get(l.articleId) ?? 0, grade));
    q.relevance?.set(l.articleId, quality!.posterior.get(pairKey(l.queryKey, l.articleId))!);
  }
  const queries = [...byQuery.values()];
  const annotators: AnnotatorSummary | null = quality && { agents: quality.agents, teamAccuracy: quality.teamAccuracy, priorByRank: quality.priorByRank, iterations: quality.iterations };
  progress('export', 1, 1);
  const positives = queries.reduce((n, q) => n + positivesOf(q).length, 0);
  const articles = new Set(queries.flatMap((q) => [...q.grades.keys()])).size;
  const { train, heldOut } = splitHeldOut(queries);
  const trainedOn = { queries: queries.length, labels, positives, articles, heldOutQueries: heldOut.length };
  const skipped = (reason: string): Omit<FlywheelResult, 'generation'> => ({
    modelId: null,
    version: null,
    status: 'skipped',
    reason,
    heldOut: null,
    trainedOn,
    annotators,
    seconds: (performance.now() - started) / 1000,
  });
  if (queries.length < MIN_QUERIES || !heldOut.length || !positives) return skipped(`too few judged queries (${queries.length}, at least ${MIN_QUERIES} with positives)`);

  // Retrieve: each judged query's lexical list and lexemes, as retrieval sees them now. The export
  // made one query per distinct text, so each text is retrieved once, all of them together
  // (retrieveLexicalAll gives the lists retrieveLexical gives, one by one).
  const texts = queries.map((q) => q.query);
  const contexts = new Map<string, QueryContext>();
  const titles = new Map(
    (await database.query<{ id: string; title: string }>(`select external_id as id, title from kb_articles where tenant_id = $1`, [tenantId])).map((r) => [r.id, r.title]),
  );
  const titleOf = (id: string) => titles.get(id) ?? '';
  progress('retrieve', 0, texts.length);
  const lists = await retrieveLexicalAll(database, tenantId, texts, CANDIDATES, (done) => progress('retrieve', done, texts.length));
  for (let i = 0; i < texts.length; i += 1_000) {
    const batch = texts.slice(i, i + 1_000);
    const lexemes = await stemmedLexemes(database, batch);
    for (const [j, text] of batch.entries()) {
      const lexical: Candidate[] = lists[i + j]!.map((c) => ({ articleId: c.articleId, title: c.title, lexicalRank: c.rank, lexicalScore: c.score }));
      contexts.set(text, { lexical, lexemes: lexemes[j] ?? [] });
    }
  }
  const contextOf = (q: JudgedQuery) => contexts.get(q.query)!;

  // Learn on the training slice, evaluate on the held-out one against what is promoted now.
  progress('learn', 0, 2);
  const fit = trainModel(train, contextOf, titleOf);
  progress('learn', 1, 2);
  progress('evaluate', 0, 2);
  const candidateModel = new LearnedRetrieval('candidate', 0, fit.params);
  const candidate = heldOutMetrics(heldOut, (q) => rankArticles(candidateModel, q, contextOf(q), titleOf));
  progress('evaluate', 1, 2);
  const [promoted] = await database.query<{ id: string; version: number; params: RetrievalModelParams }>(
    `select id::text as id, version, params from models where tenant_id = $1 and kind = $2 and status = 'promoted' limit 1`,
    [tenantId, RETRIEVAL_KIND],
  );
  const currentModel = promoted ? new LearnedRetrieval(promoted.id, promoted.version, promoted.params) : null;
  const current = { ...heldOutMetrics(heldOut, (q) => rankArticles(currentModel, q, contextOf(q), titleOf)), version: promoted?.version ?? null };
  progress('evaluate', 2, 2);

  // Gate, refit on everything, store.
  const passes = beats(candidate, current);
  progress('learn', 1, 2);
  const final = trainModel(queries, contextOf, titleOf);
  progress('learn', 2, 2);
  const id = randomUUID();
  const version = await nextVersion(database, tenantId);
  await database.db.insert(models).values({
    id,
    tenantId,
    kind: RETRIEVAL_KIND,
    version,
    params: final.params,
    metrics: { heldOut: { candidate, current }, gate: passes ? 'passed' : 'failed', training: final.stats, trainingWithoutHeldOut: fit.stats, annotators },
    status: 'candidate',
    trainedOn,
  });
  if (passes) await promoteModel(database, tenantId, id, options.cache);
  progress('gate', 1, 1);
  return { modelId: id, version, status: passes ? 'promoted' : 'candidate', heldOut: { candidate, current }, trainedOn, annotators, seconds: (performance.now() - started) / 1000 };
}
