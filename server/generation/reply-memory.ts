import type { Database } from '../db/client';
import { TermBm25 } from '../retrieval/learned';

/** The `models.kind` of the reply memory the flywheel learns from adopted replies. */
export const REPLY_MEMORY_KIND = 'reply-memory';

/** Past replies a suggestion is given: the LLM prompt shows this many, the extractive reply uses the best one per arm. */
export const REPLY_EXAMPLES = 3;

/**
 * What the flywheel learns for generation (server/flywheel/reply-memory.ts): the replies agents
 * adopted (sent verbatim, edited or in part; the text as sent, after redaction), each indexed by the
 * stemmed words of the ticket it answered. Plain JSON, the `models.params` column.
 */
export interface ReplyMemoryParams {
  entries: ReplyMemoryEntry[];
  /**
   * Smallest share of a new ticket's distinct lexemes that a past ticket must hold for its reply to be
   * used. Below it the past ticket is about something else, and the reply is composed as without a
   * memory. Chosen by the flywheel on the adopted replies themselves (leave one out).
   */
  minOverlap: number;
}

export interface ReplyMemoryEntry {
  /** The suggestion the reply was adopted from, so that an evaluation can leave its own tickets out. */
  suggestionId: string;
  /** Stemmed lexemes of the ticket's retrieval query → count. */
  terms: Record<string, number>;
  /** The reply as the agent sent it. */
  reply: string;
  /**
   * Names (products, places, businesses) the past ticket mentioned. A sentence of the past reply that
   * names one the new ticket does not mention is about the other customer's case and is left out.
   */
  names: string[];
}

/** A past adopted reply offered to the generator for a new ticket. */
export interface ReplyExample {
  reply: string;
  names: string[];
  /** Share of the new ticket's distinct lexemes the past ticket holds. */
  overlap: number;
  score: number;
}

/** Candidates read from the BM25 list before the overlap filter. */
const SEARCH_DEPTH = 20;

export class ReplyMemory {
  private readonly index: TermBm25;

  constructor(
    readonly id: string,
    readonly version: number,
    readonly params: ReplyMemoryParams,
  ) {
    this.index = new TermBm25(params.entries.map((e) => e.terms));
  }

  /**
   * The k past replies whose tickets are most similar to a new one (Okapi BM25 over the past tickets'
   * lexemes, best first), among those sharing at least `minOverlap` of its lexemes. `skip` leaves out
   * entries (an evaluation's own tickets).
   */
  nearest(lexemes: string[], k = REPLY_EXAMPLES, skip?: (entry: ReplyMemoryEntry) => boolean, minOverlap = this.params.minOverlap): ReplyExample[] {
    const distinct = [...new Set(lexemes)];
    if (!distinct.length) return [];
    const out: ReplyExample[] = [];
    for (const { doc, score } of this.index.search(distinct, SEARCH_DEPTH)) {
      const entry = this.params.entries[doc]!;
      if (skip?.(entry)) continue;
      const overlap = distinct.filter((l) => entry.terms[l] !== undefined).length / distinct.length;
      if (overlap < minOverlap) continue;
      out.push({ reply: entry.reply, names: entry.names, overlap, score });
      if (out.length === k) break;
    }
    return out;
  }
}

/** Term counts of a lexeme list. */
export function termCounts(lexemes: string[]): Record<string, number> {
  const terms: Record<string, number> = {};
  for (const l of lexemes) terms[l] = (terms[l] ?? 0) + 1;
  return terms;
}

const ARTICLES = new Set(['a', 'an', 'the']);

/** SQuAD's answer normalisation: lowercase, citation marks and punctuation removed, articles dropped. */
export function normalizedTokens(text: string): string[] {
  return (
    text
      .replace(/\[\d+\]/g, ' ')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).filter((t) => !ARTICLES.has(t));
}

/** SQuAD-style token F1: overlap of the two normalised token multisets. */
export function replyTokenF1(candidate: string, reference: string): number {
  const c = normalizedTokens(candidate);
  const r = normalizedTokens(reference);
  if (!c.length || !r.length) return c.length === r.length ? 1 : 0;
  return multisetF1(c, r);
}

/** F1 of two token lists as multisets (each reference token matches at most once); 0 when either is empty. */
export function multisetF1(candidate: readonly string[], reference: readonly string[]): number {
  if (!candidate.length || !reference.length) return 0;
  const counts = new Map<string, number>();
  for (const t of reference) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of candidate) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      overlap++;
      counts.set(t, n - 1);
    }
  }
  if (!overlap) return 0;
  const p = overlap / candidate.length;
  const rec = overlap / reference.length;
  return (2 * p * rec) / (p + rec);
}

/** How long a tenant's promoted memory is trusted before the database is asked again. */
const RECHECK_MS = 10_000;

/**
 * The promoted reply memory of each tenant, loaded from `models` and cached like the retrieval
 * models (server/retrieval/learned.ts ModelCache): `invalidate` drops a tenant at once after a
 * promotion here, and another process's promotion is seen within RECHECK_MS.
 */
export class ReplyMemoryCache {
  private readonly entries = new Map<string, { checked: number; memory: Promise<ReplyMemory | null> }>();

  constructor(private readonly database: Database) {}

  async get(tenantId: string): Promise<ReplyMemory | null> {
    const entry = this.entries.get(tenantId);
    const now = Date.now();
    if (entry && now - entry.checked < RECHECK_MS) return entry.memory;
    if (entry) {
      const current = await entry.memory.catch(() => null);
      const [row] = await this.database.query<{ id: string }>(
        `select id::text as id from models where tenant_id = $1 and kind = $2 and status = 'promoted' limit 1`,
        [tenantId, REPLY_MEMORY_KIND],
      );
      if ((row?.id ?? null) === (current?.id ?? null)) {
        entry.checked = now;
        return current;
      }
    }
    const memory = this.load(tenantId);
    this.entries.set(tenantId, { checked: now, memory });
    memory.catch(() => this.entries.delete(tenantId));
    return memory;
  }

  invalidate(tenantId?: string): void {
    if (tenantId) this.entries.delete(tenantId);
    else this.entries.clear();
  }

  private async load(tenantId: string): Promise<ReplyMemory | null> {
    const [row] = await this.database.query<{ id: string; version: number; params: ReplyMemoryParams }>(
      `select id::text as id, version, params from models where tenant_id = $1 and kind = $2 and status = 'promoted' limit 1`,
      [tenantId, REPLY_MEMORY_KIND],
    );
    return row ? new ReplyMemory(row.id, row.version, row.params) : null;
  }
}
