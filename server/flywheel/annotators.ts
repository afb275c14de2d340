/**
 * Annotation quality: how far each agent's relevance labels can be trusted, and what the labels
 * together say about each (query, article) pair.
 *
 * The model is a one-coin Dawid–Skene (Dawid & Skene, 1979) fitted by EM:
 * - each agent a labels correctly with probability `accuracy[a]`, whatever the truth;
 * - a pair shown at rank r is relevant beforehand with probability `prior[r]` (a relevant article
 *   is far likelier at rank 1 than at rank 8, so a lone "relevant" at rank 8 from a careless agent
 *   counts for less than one at rank 1);
 * - an article cited by a reply the agent adopted is evidence too: the agent used it.
 *
 * The accuracies are identified by the pairs that several agents labelled (the same query text and
 * article: a ticket two agents worked on, or the same question asked twice), and by each agent's
 * labels against their own adoptions. An agent with little such evidence is pulled towards the
 * team's accuracy (a Beta prior worth PRIOR_STRENGTH labels), so one disagreement is not a verdict.
 *
 * The result weights learning (server/flywheel/learn.ts: each judgment's target is the posterior
 * probability that the article is relevant) and is shown to leads per agent.
 */

import type { AgentAnnotationQuality } from '../../lib/contract';

/** One agent's latest label on one article for one query. */
export interface AgentLabel {
  /** What makes two labels "the same query": the normalised query text. */
  queryKey: string;
  articleId: string;
  agentId: string;
  /**
   * Relevant or partly relevant (true) against irrelevant or outdated (false); null when the agent
   * gave no label and only cited the article in an adopted reply.
   */
  relevant: boolean | null;
  /** Rank at which the article was shown, when it was. */
  rank?: number;
  /** Whether a reply this agent adopted for the query cited the article. */
  cited?: boolean;
}

/** One agent's estimate (the contract's shape, without the display name the API adds). */
export type AgentQuality = Omit<AgentAnnotationQuality, 'name'>;

export interface AnnotationQuality {
  agents: AgentQuality[];
  /** The team's accuracy (the mean over labels). */
  teamAccuracy: number;
  /** Prior probability of relevance by shown rank (index 0: not shown or unknown rank). */
  priorByRank: number[];
  /** Posterior probability of relevance per pair: `pairKey(queryKey, articleId)`. */
  posterior: Map<string, number>;
  iterations: number;
}

/** Ranks with their own prior; deeper ranks share the last. */
const PRIOR_RANKS = 10;
/** Beta prior on each agent's accuracy, in labels' worth, centred on the team's accuracy. */
export const PRIOR_STRENGTH = 20;
/** Accuracies are kept inside this band so that no label becomes certain or meaningless. */
const ACCURACY_FLOOR = 0.55;
const ACCURACY_CEILING = 0.995;
const MAX_ITERATIONS = 50;

export function pairKey(queryKey: string, articleId: string): string {
  return `${queryKey}\u0000${articleId}`;
}

/** Lower case, single spaces: two tickets asking exactly the same thing are one query. */
export function queryKeyOf(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function estimateAnnotationQuality(labels: AgentLabel[]): AnnotationQuality {
  // Items: one per (query, article), with every agent's label and whether some agent cited it.
  const items = new Map<string, { rank: number; votes: { agent: number; relevant: boolean }[] }>();
  const agentIds: string[] = [];
  const agentIndex = new Map<string, number>();
  // Per agent, indexed like agentIds (filled as agents appear).
  const labelCount: number[] = [];
  const adoptionChecks: number[] = [];
  const adoptionAgree: number[] = [];
  for (const l of labels) {
    let a = agentIndex.get(l.agentId);
    if (a === undefined) {
      a = agentIds.push(l.agentId) - 1;
      agentIndex.set(l.agentId, a);
    }
    const key = pairKey(l.queryKey, l.articleId);
    const item = items.get(key) ?? { rank: 0, votes: [] };
    if (l.rank && (!item.rank || l.rank < item.rank)) item.rank = Math.min(l.rank, PRIOR_RANKS - 1);
    if (l.relevant !== null) item.votes.push({ agent: a, relevant: l.relevant });
    // An adopted citation is the agent's own evidence that the article was relevant.
    if (l.cited) item.votes.push({ agent: a, relevant: true });
    items.set(key, item);
    // What leads read besides the estimate: each agent's labels, and those on articles the agent's
    // own adopted reply cited (agreement with the agent's own adoptions).
    if (l.relevant === null) continue;
    labelCount[a] = (labelCount[a] ?? 0) + 1;
    if (l.cited) {
      adoptionChecks[a] = (adoptionChecks[a] ?? 0) + 1;
      if (l.relevant) adoptionAgree[a] = (adoptionAgree[a] ?? 0) + 1;
    }
  }
  const list = [...items.values()];
  const keys = [...items.keys()];
  const agents = agentIds.length;

  // Start from everyone being right 90% of the time and the prior from the raw label rates.
  let accuracy = Array<number>(agents).fill(0.9);
  let prior = Array<number>(PRIOR_RANKS).fill(0.5);
  let posterior = list.map((item) => item.votes.filter((v) => v.relevant).length / item.votes.length);
  let iterations = 0;
  for (; iterations < MAX_ITERATIONS; iterations++) {
    // M-step: priors by rank, then accuracies with a Beta prior towards the team's accuracy.
    const priorSums = Array<number>(PRIOR_RANKS).fill(0);
    const priorCounts = Array<number>(PRIOR_RANKS).fill(0);
    list.forEach((item, i) => {
      priorSums[item.rank]! += posterior[i]!;
      priorCounts[item.rank]!++;
    });
    prior = priorSums.map((s, r) => (s + 0.5) / (priorCounts[r]! + 1));
    const right = Array<number>(agents).fill(0);
    const total = Array<number>(agents).fill(0);
    list.forEach((item, i) => {
      for (const v of item.votes) {
        right[v.agent]! += v.relevant ? posterior[i]! : 1 - posterior[i]!;
        total[v.agent]!++;
      }
    });
    const team = right.reduce((a, b) => a + b, 0) / Math.max(1, total.reduce((a, b) => a + b, 0));
    const next = right.map((r, a) => clamp((r + PRIOR_STRENGTH * team) / (total[a]! + PRIOR_STRENGTH)));
    // E-step: each item's posterior from its prior and its votes.
    posterior = list.map((item) => itemPosterior(prior[item.rank]!, item.votes, next));
    const change = Math.max(0, ...next.map((v, a) => Math.abs(v - accuracy[a]!)));
    accuracy = next;
    if (change < 1e-5) break;
  }

  // What leads read: raw agreement with the others' majority.
  const overlap = Array<number>(agents).fill(0);
  const agreeOthers = Array<number>(agents).fill(0);
  for (const item of list) {
    const byAgent = new Map<number, boolean>();
    for (const v of item.votes) if (!byAgent.has(v.agent)) byAgent.set(v.agent, v.relevant);
    if (byAgent.size < 2) continue;
    for (const [agent, relevant] of byAgent) {
      let yes = 0;
      let no = 0;
      for (const [other, r] of byAgent) if (other !== agent) r ? yes++ : no++;
      if (yes === no) continue;
      overlap[agent]!++;
      if (yes > no === relevant) agreeOthers[agent]!++;
    }
  }
  const totalLabels = labelCount.reduce((a, b) => a + (b ?? 0), 0);
  const teamAccuracy = totalLabels ? accuracy.reduce((s, acc, a) => s + acc * (labelCount[a] ?? 0), 0) / totalLabels : 0.9;
  const logit = (p: number) => Math.log(p / (1 - p));
  return {
    agents: agentIds
      .map((agentId, a) => ({
        agentId,
        labels: labelCount[a] ?? 0,
        overlapping: overlap[a]!,
        agreementWithOthers: overlap[a] ? agreeOthers[a]! / overlap[a]! : null,
        adoptionChecks: adoptionChecks[a] ?? 0,
        agreementWithAdoption: adoptionChecks[a] ? (adoptionAgree[a] ?? 0) / adoptionChecks[a]! : null,
        accuracy: accuracy[a]!,
        weight: logit(accuracy[a]!) / logit(clamp(teamAccuracy)),
      }))
      .sort((x, y) => x.accuracy - y.accuracy || x.agentId.localeCompare(y.agentId)),
    teamAccuracy,
    priorByRank: prior,
    posterior: new Map(keys.map((k, i) => [k, posterior[i]!])),
    iterations,
  };
}

function itemPosterior(prior: number, votes: { agent: number; relevant: boolean }[], accuracy: number[]): number {
  // In log space: dozens of agreeing votes would underflow a product of probabilities.
  let logRelevant = Math.log(prior);
  let logNot = Math.log(1 - prior);
  for (const v of votes) {
    const acc = accuracy[v.agent]!;
    logRelevant += Math.log(v.relevant ? acc : 1 - acc);
    logNot += Math.log(v.relevant ? 1 - acc : acc);
  }
  return 1 / (1 + Math.exp(logNot - logRelevant));
}

function clamp(p: number): number {
  return Math.min(ACCURACY_CEILING, Math.max(ACCURACY_FLOOR, p));
}
