import { LearnedRetrieval, FEATURES, type Candidate, type RetrievalModelParams } from '../retrieval/learned';

/** One exported query with the agents' judgments: article id → grade (2 relevant or cited, 1 partly, 0 not). */
export interface JudgedQuery {
  qid: string;
  query: string;
  grades: Map<string, number>;
  /**
   * Article id → probability that it is relevant, from the annotation-quality model
   * (server/flywheel/annotators.ts). Where absent, a grade ≥ 1 counts as certainly relevant.
   */
  relevance?: Map<string, number>;
}

/** How likely a judged article is relevant to the query (see JudgedQuery.relevance). */
export function relevanceOf(q: JudgedQuery, articleId: string): number {
  return q.relevance?.get(articleId) ?? ((q.grades.get(articleId) ?? 0) >= 1 ? 1 : 0);
}

/** The articles more likely relevant than not. */
export function positivesOf(q: JudgedQuery): string[] {
  return [...q.grades.keys()].filter((id) => relevanceOf(q, id) >= 0.5);
}

/** What training and evaluation know about a query besides its judgments. */
export interface QueryContext {
  /** The lexical list (chunks in rank order, as articles with the fused score). */
  lexical: Candidate[];
  /** The query's stemmed lexemes. */
  lexemes: string[];
}

/** Folds of the cross-fitting that keeps a query's own label out of its expansion and prior features. */
export const CROSS_FOLDS = 3;
/** Unjudged candidates taken as weak negatives per query that has a positive (see trainModel). */
export const UNJUDGED_NEGATIVES = 20;
/** Their weight against a label's 1. */
export const UNJUDGED_WEIGHT = 0.1;
/** Share of the queries held out for the gate. */
export const HELD_OUT_SHARE = 0.2;

/** FNV-1a of a string to [0, 1): splits by the ticket's query text, so repeated tickets stay together. */
export function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

export function splitHeldOut(queries: JudgedQuery[], share = HELD_OUT_SHARE) {
  const train: JudgedQuery[] = [];
  const heldOut: JudgedQuery[] = [];
  for (const q of queries) (unitHash(`split:${q.query.trim().toLowerCase()}`) < share ? heldOut : train).push(q);
  return { train, heldOut };
}

/** Expansion documents and article priors from judged queries. */
export function buildExpansion(queries: JudgedQuery[], lexemesOf: (q: JudgedQuery) => string[]): Pick<RetrievalModelParams, 'expansion' | 'priors'> {
  const docs = new Map<string, Record<string, number>>();
  const priors: Record<string, [number, number]> = {};
  for (const q of queries) {
    const lexemes = [...new Set(lexemesOf(q))];
    for (const articleId of q.grades.keys()) {
      // Soft counts: a label the quality model doubts adds only its probability of being right.
      const relevance = relevanceOf(q, articleId);
      const prior = (priors[articleId] ??= [0, 0]);
      prior[1]++;
      if (relevance <= 0) continue;
      prior[0] += relevance;
      const terms = docs.get(articleId) ?? {};
      for (const l of lexemes) terms[l] = (terms[l] ?? 0) + relevance;
      docs.set(articleId, terms);
    }
  }
  return { expansion: [...docs.entries()].map(([articleId, terms]) => ({ articleId, terms })), priors };
}

const ZERO_RERANKER = () => ({ weights: FEATURES.map(() => 0), bias: 0, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1) });

/** The candidates a model ranks for a query: the lexical list, then expansion articles it lacks. */
export function candidatesFor(model: LearnedRetrieval, ctx: QueryContext, titleOf: (articleId: string) => string) {
  const expansion = model.searchExpansion(ctx.lexemes);
  const held = new Set(ctx.lexical.map((c) => c.articleId));
  const candidates: Candidate[] = [...ctx.lexical];
  for (const e of expansion) if (!held.has(e.articleId)) candidates.push({ articleId: e.articleId, title: titleOf(e.articleId) });
  return { candidates, expansion };
}

export interface TrainingStats {
  queries: number;
  rows: number;
  positives: number;
  loss: number;
}

/**
 * Learns a retrieval model from judged queries: the expansion field and priors from all of them,
 * the reranker from feature rows computed by cross-fitting (each query's features come from an
 * expansion and priors built without its fold), so that the reranker learns how much an expansion
 * match is worth for a query the expansion has not seen. Rows are the judged articles of the lexical
 * or expansion list; grade ≥ 1 is positive.
 */
export function trainModel(
  queries: JudgedQuery[],
  contextOf: (q: JudgedQuery) => QueryContext,
  titleOf: (articleId: string) => string,
): { params: RetrievalModelParams; stats: TrainingStats } {
  const x: number[][] = [];
  const y: number[] = [];
  const w: number[] = [];
  const foldOf = (q: JudgedQuery) => Math.floor(unitHash(`fold:${q.query.trim().toLowerCase()}`) * CROSS_FOLDS);
  for (let fold = 0; fold < CROSS_FOLDS; fold++) {
    const rest = queries.filter((q) => foldOf(q) !== fold);
    const model = new LearnedRetrieval('cross-fit', 0, { ...buildExpansion(rest, (q) => contextOf(q).lexemes), reranker: ZERO_RERANKER() });
    for (const q of queries) {
      if (foldOf(q) !== fold) continue;
      const ctx = contextOf(q);
      const { candidates, expansion } = candidatesFor(model, ctx, titleOf);
      const feats = model.features(q.query, candidates, expansion);
      const seen = new Set<string>();
      const positive = positivesOf(q).length > 0;
      let unjudged = 0;
      candidates.forEach((c, i) => {
        if (seen.has(c.articleId)) return;
        seen.add(c.articleId);
        const grade = q.grades.get(c.articleId);
        if (grade === undefined) {
          // Where the agent found what answers the ticket among the shown articles, the rest of the
          // candidates (below it, or only the expansion found) are taken as weak negatives, so that
          // the reranker also learns how to place the candidates no agent was shown.
          if (!positive || unjudged >= UNJUDGED_NEGATIVES) return;
          unjudged++;
          x.push(feats[i]!);
          y.push(0);
          w.push(UNJUDGED_WEIGHT);
          return;
        }
        x.push(feats[i]!);
        y.push(relevanceOf(q, c.articleId));
        w.push(1);
      });
    }
  }
  const { reranker, loss } = fitLogistic(x, y, w);
  return {
    params: { ...buildExpansion(queries, (q) => contextOf(q).lexemes), reranker },
    stats: { queries: queries.length, rows: x.length, positives: y.filter((v) => v >= 0.5).length, loss },
  };
}

/**
 * L2-regularised, sample-weighted logistic regression on standardised features, fitted by Newton's
 * method (iteratively reweighted least squares). With a dozen features the Hessian is tiny, and
 * Newton converges to the one optimum in a few steps: gradient descent with a fixed budget stopped
 * at different points for slightly different data, and the rankings it gave swung with it.
 * Targets may be soft (a label's probability of being right).
 */
export function fitLogistic(x: number[][], y: number[], weights: number[] = x.map(() => 1), options = { iterations: 30, l2: 1e-3 }) {
  const d = FEATURES.length;
  const n = x.length;
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const mean = Array<number>(d).fill(0);
  const std = Array<number>(d).fill(0);
  for (const row of x) for (let j = 0; j < d; j++) mean[j]! += row[j]! / Math.max(1, n);
  for (const row of x) for (let j = 0; j < d; j++) std[j]! += (row[j]! - mean[j]!) ** 2 / Math.max(1, n);
  // A feature constant in the training rows (to rounding) gets no weight, not a huge one.
  const constant = std.map((v) => v < 1e-12);
  for (let j = 0; j < d; j++) std[j] = constant[j] ? 1 : Math.sqrt(std[j]!);
  const free = FEATURES.map((_, j) => j).filter((j) => !constant[j]);
  // Design rows: 1 for the bias, then the free standardised features.
  const rows = x.map((row) => [1, ...free.map((j) => (row[j]! - mean[j]!) / std[j]!)]);
  const m = free.length + 1;
  const theta = Array<number>(m).fill(0);
  let loss = 0;
  for (let iteration = 0; iteration < options.iterations && n; iteration++) {
    const gradient = Array<number>(m).fill(0);
    const hessian = Array.from({ length: m }, () => Array<number>(m).fill(0));
    loss = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      let s = 0;
      for (let k = 0; k < m; k++) s += theta[k]! * r[k]!;
      const p = 1 / (1 + Math.exp(-s));
      const wi = weights[i]! / total;
      loss -= weights[i]! * (y[i]! * Math.log(p + 1e-12) + (1 - y[i]!) * Math.log(1 - p + 1e-12));
      const g = (p - y[i]!) * wi;
      const h = p * (1 - p) * wi;
      for (let k = 0; k < m; k++) {
        gradient[k]! += g * r[k]!;
        for (let l = 0; l <= k; l++) hessian[k]![l]! += h * r[k]! * r[l]!;
      }
    }
    for (let k = 1; k < m; k++) {
      gradient[k]! += options.l2 * theta[k]!;
      hessian[k]![k]! += options.l2;
    }
    for (let k = 0; k < m; k++) for (let l = k + 1; l < m; l++) hessian[k]![l] = hessian[l]![k]!;
    const step = solve(hessian, gradient);
    let largest = 0;
    for (let k = 0; k < m; k++) {
      theta[k]! -= step[k]!;
      largest = Math.max(largest, Math.abs(step[k]!));
    }
    if (largest < 1e-9) break;
  }
  const w = Array<number>(d).fill(0);
  free.forEach((j, k) => (w[j] = theta[k + 1]!));
  return { reranker: { weights: w, bias: theta[0]!, mean, std }, loss: n ? loss / total : 0 };
}

/** Solves A·v = b for a small symmetric positive-definite A (Gaussian elimination, partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const m = b.length;
  const rows = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < m; c++) {
    let pivot = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(rows[r]![c]!) > Math.abs(rows[pivot]![c]!)) pivot = r;
    [rows[c], rows[pivot]] = [rows[pivot]!, rows[c]!];
    const head = rows[c]![c]! || 1e-12;
    for (let r = c + 1; r < m; r++) {
      const f = rows[r]![c]! / head;
      if (f) for (let k = c; k <= m; k++) rows[r]![k]! -= f * rows[c]![k]!;
    }
  }
  const v = Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = rows[r]![m]!;
    for (let k = r + 1; k < m; k++) s -= rows[r]![k]! * v[k]!;
    v[r] = s / (rows[r]![r]! || 1e-12);
  }
  return v;
}

export interface HeldOutMetrics {
  queries: number;
  'recall@75': number;
  'precision@8': number;
  'MRR@8': number;
  'nDCG@8': number;
}

/**
 * Ranking metrics of ranked article lists against the judgments, in expectation over what is
 * uncertain about them: each judged article is relevant with its probability (relevanceOf; 0 or 1
 * for plain labels, where these are the usual binary metrics exactly). A query counts with the
 * probability that it has a relevant article at all. Thresholding the probabilities instead would
 * drop the true "relevant" labels deep in the shown list, which the annotation-quality model doubts
 * most, and favour whatever ranks the top of the list as it was shown.
 */
export function heldOutMetrics(queries: JudgedQuery[], rankOf: (q: JudgedQuery) => string[]): HeldOutMetrics {
  const sums = { 'recall@75': 0, 'precision@8': 0, 'MRR@8': 0, 'nDCG@8': 0 };
  let counted = 0;
  let weight = 0;
  for (const q of queries) {
    const p = (id: string) => (q.grades.has(id) ? relevanceOf(q, id) : 0);
    const judged = [...q.grades.keys()].map(p);
    const total = judged.reduce((a, b) => a + b, 0);
    const hasRelevant = 1 - judged.reduce((none, pi) => none * (1 - pi), 1);
    if (total <= 0 || hasRelevant <= 0) continue;
    counted++;
    weight += hasRelevant;
    const ranked = [...new Set(rankOf(q))];
    let noneYet = 1;
    let reciprocal = 0;
    let dcg = 0;
    let top8 = 0;
    ranked.slice(0, 8).forEach((id, i) => {
      const pi = p(id);
      reciprocal += (noneYet * pi) / (i + 1);
      noneYet *= 1 - pi;
      dcg += pi / Math.log2(i + 2);
      top8 += pi;
    });
    const ideal = judged.sort((a, b) => b - a).slice(0, 8).reduce((sum, pi, i) => sum + pi / Math.log2(i + 2), 0);
    const top75 = ranked.slice(0, 75).reduce((sum, id) => sum + p(id), 0);
    // Per query: the metric given that it has a relevant article, weighted by how likely that is.
    sums['recall@75'] += hasRelevant * (top75 / total);
    sums['precision@8'] += hasRelevant * (top8 / 8);
    sums['MRR@8'] += reciprocal;
    sums['nDCG@8'] += hasRelevant * (dcg / ideal);
  }
  const mean = (v: number) => (weight ? v / weight : 0);
  return {
    queries: counted,
    'recall@75': mean(sums['recall@75']),
    'precision@8': mean(sums['precision@8']),
    'MRR@8': mean(sums['MRR@8']),
    'nDCG@8': mean(sums['nDCG@8']),
  };
}

/** The article ranking a model gives a query (or the lexical list's, without a model). */
export function rankArticles(model: LearnedRetrieval | null, q: JudgedQuery, ctx: QueryContext, titleOf: (id: string) => string): string[] {
  if (!model) return ctx.lexical.map((c) => c.articleId);
  const { candidates, expansion } = candidatesFor(model, ctx, titleOf);
  return model.rank(q.query, candidates, expansion).map((c) => c.articleId);
}

/** Largest recall@75 drop a candidate may have and still be promoted for a better MRR@8. */
export const RECALL_TOLERANCE = 0.005;

/** The gate: a better MRR@8 without giving up recall@75. */
export function beats(candidate: HeldOutMetrics, current: HeldOutMetrics): boolean {
  return candidate['MRR@8'] > current['MRR@8'] && candidate['recall@75'] >= current['recall@75'] - RECALL_TOLERANCE;
}
