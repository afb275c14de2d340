/**
 * Clustering for the KB-gap report: `knowledge.missing` flags together with tickets where no shown
 * article was judged relevant, by the words they use. Runs in-process without a model: TF-IDF
 * vectors over stemmed words (the caller stems them with PostgreSQL's `english` configuration, as the
 * BM25 index does), cosine similarity, and leader clustering refined by reassignment. Everything
 * the report adds on top (closest articles, covered) is in kb-gaps.ts.
 */

import { clipAtWord } from '../text';

/** One thing that says the knowledge base lacks something: a flag, or a ticket with nothing relevant. */
export interface GapItem {
  kind: 'flag' | 'ticket';
  ticketId: string;
  suggestionId: string;
  /** The ticket as the retrieval query it was (server/retrieval/query.ts); may be empty. */
  query: string;
  /** Stemmed words of the query. */
  queryTerms: string[];
  /** Flags only: the agent's own words. */
  description?: string;
  proposedTitle?: string;
  category?: string;
  /** Flags only: stemmed words of the proposed title and description. */
  flagTerms?: string[];
  /** A flag on a ticket where the agent also labelled every shown article irrelevant or outdated. */
  noRelevant: boolean;
  /** When the server received it (ISO 8601), comparable with the articles' update times. */
  receivedAt: string;
}

/** A cluster of items that ask for the same missing knowledge. */
export interface MissingGroup {
  /** The proposed title given most often, else the member text closest to the cluster's centre (clipped). */
  title: string;
  flags: number;
  /** Distinct tickets where the agent labelled every shown article irrelevant or outdated. */
  noRelevantTickets: number;
  /** Distinct tickets, flagged or with nothing relevant. */
  tickets: number;
  /** The most representative tickets first. */
  exampleTickets: string[];
  /** Categories given, most frequent first. */
  categories: { category: string; flags: number }[];
  exampleDescriptions: string[];
  /**
   * What the members ask, most representative first (at most REPRESENTATIVE_TEXTS, distinct): a
   * flag's proposed title and description, a ticket's query.
   */
  texts: string[];
  /** The newest member's receipt time (ISO 8601). */
  newestAt: string;
  /**
   * Tickets like these (cosine to the cluster's centre at least the clustering threshold) where an
   * agent judged a shown article relevant, and the articles they judged relevant, most often first.
   */
  answered: { tickets: number; articles: { articleId: string; tickets: number }[] };
  /**
   * Most tickets like these were answered by an existing article (answered.tickets ≥ tickets): the
   * knowledge is probably there and retrieval missed it for these phrasings, rather than missing.
   */
  retrievalMiss: boolean;
}

/** A ticket where an agent judged a shown article relevant or partly relevant. */
export interface AnsweredTicket {
  ticketId: string;
  queryTerms: string[];
  articleIds: string[];
}

export interface MissingGrouper {
  /** A description of the method, printed with the report. */
  readonly method: string;
  add(item: GapItem): void;
  /** A ticket that found an answer, to tell a missing article from a retrieval miss. */
  addAnswered(ticket: AnsweredTicket): void;
  /** The clusters, the one with most tickets first. */
  groups(): MissingGroup[];
}

/** An item joins a cluster when the cosine similarity of its vector and the cluster's centre is at least this. */
/** Tuned on FeedbackQA Australia's train tickets (bench/kb-gaps.ts BENCH_KB_GAPS_SWEEP): 0.2–0.35 tried. */
export const SIMILARITY = 0.25;
/**
 * A flag's own words weigh this many times the ticket's query in its vector: two flags on one
 * ticket about different things (share only the query) stay apart (cosine 1/(w²+1) = 0.1), two
 * flags with the same words on different tickets stay together (w²/(w²+1) = 0.9).
 */
export const FLAG_WEIGHT = 3;
/** A cluster is a likely retrieval miss when similar answered tickets number at least this many times its tickets. */
export const MISS_RATIO = 1;
/** Reassignment passes after the leader pass, so the result depends little on the items' order. */
const REFINE_PASSES = 2;
const EXAMPLE_TICKETS = 5;
const EXAMPLE_DESCRIPTIONS = 3;
export const REPRESENTATIVE_TEXTS = 10;
const TITLE_CHARS = 80;

type Vector = Map<string, number>;

function addScaled(into: Vector, v: Vector, scale: number) {
  for (const [term, w] of v) into.set(term, (into.get(term) ?? 0) + w * scale);
}

function norm(v: Vector): number {
  let sum = 0;
  for (const w of v.values()) sum += w * w;
  return Math.sqrt(sum);
}

function unit(v: Vector): Vector {
  const n = norm(v);
  if (n === 0) return v;
  const out: Vector = new Map();
  for (const [term, w] of v) out.set(term, w / n);
  return out;
}

function dot(a: Vector, b: Vector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [term, w] of small) sum += w * (large.get(term) ?? 0);
  return sum;
}

interface Cluster {
  members: number[];
  /** Sum of the members' unit vectors; its direction is the centre. */
  sum: Vector;
  sumNorm: number;
}

function clip(text: string): string {
  const flat = text.trim().replace(/\s*\n\s*/g, ' — ').replace(/\s+/g, ' ');
  return clipAtWord(flat, TITLE_CHARS);
}

/**
 * TF-IDF + cosine leader clustering. Each item's vector: the unit TF-IDF vector of the flag's own
 * words (weighted FLAG_WEIGHT) plus that of its ticket's query, normalised; a ticket item has only
 * the query. Words count once per text (tickets and flags are short); IDF is computed over the
 * items themselves, ln((1 + N) / (1 + df)) + 1, so words every ticket uses ("covid") weigh little.
 * Leader pass, oldest first: an item joins the cluster whose centre it is most similar to (at least
 * SIMILARITY), else starts one. Then REFINE_PASSES times every item moves to the most similar
 * centre, keeping its own cluster unless another one is closer. Items with no words at all are
 * clustered by their exact text. All items are held until `groups()`: IDF needs them all.
 */
export function createMissingGrouper(options: { similarity?: number; missRatio?: number } = {}): MissingGrouper {
  const similarity = options.similarity ?? SIMILARITY;
  const missRatio = options.missRatio ?? MISS_RATIO;
  const items: GapItem[] = [];
  const answered: AnsweredTicket[] = [];
  return {
    method:
      `flags and tickets where no shown article was relevant, clustered by their words: TF-IDF over ` +
      `stemmed words (a flag's proposed title and description weigh ${FLAG_WEIGHT}× its ticket's query), ` +
      `cosine similarity, leader clustering at ${similarity} to the cluster centre refined by ` +
      `${REFINE_PASSES} reassignment passes; a cluster is a likely retrieval miss when ` +
      `similar tickets (cosine to its centre at the same threshold) that found an article relevant number ` +
      `${missRatio === 1 ? 'at least as many as' : `at least ${missRatio}× as many as`} its own tickets`,
    add(item) {
      items.push(item);
    },
    addAnswered(ticket) {
      answered.push(ticket);
    },
    groups() {
      items.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.suggestionId.localeCompare(b.suggestionId));
      const { vectors, answeredVectors } = vectorize(items, answered);
      const answeredIndex = indexByTerm(answeredVectors);
      const assignment = cluster(vectors, items, similarity);
      const byCluster = new Map<number, number[]>();
      assignment.forEach((c, i) => {
        const list = byCluster.get(c);
        if (list) list.push(i);
        else byCluster.set(c, [i]);
      });
      return [...byCluster.values()]
        .map((members) => describe(members, items, vectors, missRatio, (centre) => similarAnswered(centre, similarity, answered, answeredVectors, answeredIndex)))
        .sort((a, b) => b.tickets - a.tickets || b.flags - a.flags || a.title.localeCompare(b.title));
    },
  };
}

/** Unit TF-IDF vectors of the items and of the answered tickets, with IDF over both. */
function vectorize(items: GapItem[], answered: AnsweredTicket[]) {
  const df = new Map<string, number>();
  const count = (terms: Iterable<string>) => {
    for (const term of new Set(terms)) df.set(term, (df.get(term) ?? 0) + 1);
  };
  for (const item of items) count([...item.queryTerms, ...(item.flagTerms ?? [])]);
  for (const ticket of answered) count(ticket.queryTerms);
  const n = items.length + answered.length;
  const idf = (term: string) => Math.log((1 + n) / (1 + (df.get(term) ?? 0))) + 1;
  const tfidf = (terms: string[]): Vector => unit(new Map([...new Set(terms)].map((t) => [t, idf(t)])));
  const vectors = items.map((item) => {
    const v: Vector = new Map();
    addScaled(v, tfidf(item.flagTerms ?? []), FLAG_WEIGHT);
    addScaled(v, tfidf(item.queryTerms), 1);
    return unit(v);
  });
  return { vectors, answeredVectors: answered.map((t) => tfidf(t.queryTerms)) };
}

function indexByTerm(vectors: Vector[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  vectors.forEach((v, i) => {
    for (const term of v.keys()) {
      const list = index.get(term);
      if (list) list.push(i);
      else index.set(term, [i]);
    }
  });
  return index;
}

/** Answered tickets whose vector is at least `threshold` similar to the (unit) centre. */
function similarAnswered(centre: Vector, threshold: number, answered: AnsweredTicket[], vectors: Vector[], index: Map<string, number[]>): MissingGroup['answered'] {
  const tickets = new Set<string>();
  const articles = new Map<string, Set<string>>();
  const seen = new Set<number>();
  for (const term of centre.keys()) {
    for (const i of index.get(term) ?? []) {
      if (seen.has(i)) continue;
      seen.add(i);
      if (dot(centre, vectors[i]!) < threshold) continue;
      const ticket = answered[i]!;
      tickets.add(ticket.ticketId);
      for (const id of ticket.articleIds) {
        const set = articles.get(id);
        if (set) set.add(ticket.ticketId);
        else articles.set(id, new Set([ticket.ticketId]));
      }
    }
  }
  return {
    tickets: tickets.size,
    articles: [...articles]
      .map(([articleId, t]) => ({ articleId, tickets: t.size }))
      .sort((a, b) => b.tickets - a.tickets || a.articleId.localeCompare(b.articleId))
      .slice(0, 3),
  };
}

/** The cluster index of each item. */
function cluster(vectors: Vector[], items: GapItem[], threshold: number): number[] {
  const clusters: Cluster[] = [];
  const assignment: number[] = new Array(vectors.length).fill(-1);
  const byExactText = new Map<string, number>();
  const exactText = (i: number) => `${items[i]!.description ?? ''}\n${items[i]!.query}`.toLowerCase().trim();

  const similarity = (v: Vector, c: Pick<Cluster, 'sum' | 'sumNorm'>) => (c.sumNorm === 0 ? 0 : dot(v, c.sum) / c.sumNorm);
  const join = (i: number, index: number) => {
    const c = clusters[index]!;
    addScaled(c.sum, vectors[i]!, 1);
    c.sumNorm = norm(c.sum);
    c.members.push(i);
    assignment[i] = index;
  };

  // Leader pass. Candidate clusters are found through the terms they hold, so an item is compared
  // with few clusters however many there are.
  const byTerm = new Map<string, Set<number>>();
  vectors.forEach((v, i) => {
    if (v.size === 0) {
      const key = exactText(i);
      const found = byExactText.get(key);
      if (found !== undefined) join(i, found);
      else {
        clusters.push({ members: [], sum: new Map(), sumNorm: 0 });
        byExactText.set(key, clusters.length - 1);
        join(i, clusters.length - 1);
      }
      return;
    }
    let best = -1;
    let bestScore = threshold;
    const seen = new Set<number>();
    for (const term of v.keys()) {
      for (const index of byTerm.get(term) ?? []) {
        if (seen.has(index)) continue;
        seen.add(index);
        const score = similarity(v, clusters[index]!);
        if (score > bestScore || (score === bestScore && best < 0)) {
          best = index;
          bestScore = score;
        }
      }
    }
    if (best < 0) {
      clusters.push({ members: [], sum: new Map(), sumNorm: 0 });
      best = clusters.length - 1;
    }
    join(i, best);
    for (const term of v.keys()) {
      const set = byTerm.get(term);
      if (set) set.add(best);
      else byTerm.set(term, new Set([best]));
    }
  });

  // Refinement: against the centres of the previous pass, each item moves to the most similar one.
  for (let pass = 0; pass < REFINE_PASSES; pass++) {
    const centres = clusters.map((c) => ({ sum: new Map(c.sum), sumNorm: c.sumNorm }));
    let moved = 0;
    vectors.forEach((v, i) => {
      if (v.size === 0) return;
      const own = assignment[i]!;
      let best = own;
      let bestScore = similarity(v, centres[own]!);
      const seen = new Set<number>([own]);
      for (const term of v.keys()) {
        for (const index of byTerm.get(term) ?? []) {
          if (seen.has(index)) continue;
          seen.add(index);
          const score = similarity(v, centres[index]!);
          if (score > bestScore && score >= threshold) {
            best = index;
            bestScore = score;
          }
        }
      }
      if (best !== own) {
        moved++;
        const from = clusters[own]!;
        addScaled(from.sum, v, -1);
        from.sumNorm = norm(from.sum);
        from.members = from.members.filter((m) => m !== i);
        join(i, best);
        for (const term of v.keys()) byTerm.get(term)!.add(best);
      }
    });
    if (moved === 0) break;
  }
  return assignment;
}

function describe(members: number[], items: GapItem[], vectors: Vector[], missRatio: number, answeredNear: (centre: Vector) => MissingGroup['answered']): MissingGroup {
  const centre: Vector = new Map();
  for (const i of members) addScaled(centre, vectors[i]!, 1);
  // Most representative first: closest to the centre, then oldest.
  const ranked = [...members].sort((a, b) => dot(vectors[b]!, centre) - dot(vectors[a]!, centre) || a - b);
  const flags = ranked.filter((i) => items[i]!.kind === 'flag');
  const tickets = new Set<string>();
  const noRelevant = new Set<string>();
  const titles = new Map<string, number>();
  const categories = new Map<string, number>();
  const descriptions: string[] = [];
  const texts: string[] = [];
  let newestAt = '';
  for (const i of ranked) {
    const item = items[i]!;
    tickets.add(item.ticketId);
    if (item.kind === 'ticket' || item.noRelevant) noRelevant.add(item.ticketId);
    const title = item.proposedTitle?.trim();
    if (title) titles.set(title, (titles.get(title) ?? 0) + 1);
    const category = item.category?.trim();
    if (category) categories.set(category, (categories.get(category) ?? 0) + 1);
    const description = item.description?.trim();
    if (description && descriptions.length < EXAMPLE_DESCRIPTIONS && !descriptions.includes(description)) descriptions.push(description);
    const text = item.kind === 'flag' ? [title, description].filter(Boolean).join('\n') : item.query;
    if (text && texts.length < REPRESENTATIVE_TEXTS && !texts.includes(text)) texts.push(text);
    if (item.receivedAt > newestAt) newestAt = item.receivedAt;
  }
  const [title] = [...titles].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
  const top = items[ranked[0]!]!;
  const answered = answeredNear(unit(centre));
  return {
    title: title ?? clip(top.description?.trim() || top.query),
    flags: flags.length,
    noRelevantTickets: noRelevant.size,
    tickets: tickets.size,
    exampleTickets: [...tickets].slice(0, EXAMPLE_TICKETS),
    categories: [...categories].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([category, flags]) => ({ category, flags })),
    exampleDescriptions: descriptions,
    texts,
    newestAt,
    answered,
    retrievalMiss: answered.tickets > 0 && answered.tickets >= missRatio * tickets.size,
  };
}
