import { randomUUID } from 'node:crypto';
import type { TicketContext } from '../../lib/contract';
import type { Database } from '../db/client';
import { models } from '../db/schema';
import { composeExtractive, composeFromMemory, EXTRACTIVE_PROFILES } from '../generation/extractive';
import { REPLY_MEMORY_KIND, ReplyMemory, replyTokenF1, termCounts, type ReplyExample, type ReplyMemoryEntry, type ReplyMemoryParams } from '../generation/reply-memory';
import type { ArticleText } from '../retrieval';
import { stemmedLexemes } from '../retrieval/learned';
import { namesIn, queryFromTicket } from '../retrieval/query';
import { HELD_OUT_SHARE, unitHash } from './learn';
import { nextVersion, promoteModel, type ModelInvalidator } from './models';

/** Fewest adopted replies worth a memory. */
export const MIN_ADOPTED_REPLIES = 20;
/**
 * Most recent adopted replies a memory holds: it is loaded whole into each server process, and the
 * newest replies say best how the team answers now.
 */
export const MAX_MEMORY_ENTRIES = 5_000;
/** The overlap thresholds the flywheel chooses from (see ReplyMemoryParams.minOverlap). */
export const OVERLAP_GRID = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8] as const;

/** An adopted reply with what is needed to learn from it and to replay its suggestion. */
export interface AdoptedReply {
  suggestionId: string;
  ticket: TicketContext;
  query: string;
  lexemes: string[];
  /** The suggestion's shown articles with the text of the chunk it gave the generator. */
  articles: ArticleText[];
  finalText: string;
}

export interface ReplyMemoryMetrics {
  /** Held-out adopted replies scored. */
  replies: number;
  /** Mean token F1 (SQuAD-style) of the arm-A extractive reply against the text the agent sent. */
  tokenF1: number;
  /** Share of them for which the memory offered a past reply. */
  usedMemory: number;
}

export interface ReplyMemoryRunResult {
  modelId: string | null;
  version: number | null;
  status: 'promoted' | 'candidate' | 'skipped';
  reason?: string;
  heldOut: { candidate: ReplyMemoryMetrics & { minOverlap: number }; current: ReplyMemoryMetrics & { version: number | null } } | null;
  trainedOn: { adoptedReplies: number; heldOutReplies: number };
  seconds: number;
}

/**
 * The tenant's adopted replies: per suggestion, its latest adoption event (a later `not_used` undoes
 * an earlier adoption), kept when the outcome is verbatim, edited or partial and the sent text is not
 * empty; newest first, at most MAX_MEMORY_ENTRIES.
 */
export async function exportAdoptedReplies(database: Database, tenantId: string): Promise<AdoptedReply[]> {
  const rows = await database.query<{ id: string; final_text: string; context: TicketContext; articles: { n: number; articleId: string; chunkId: string; title: string; url: string | null; score: number; rank: number; snippet: string }[] }>(
    `select a.suggestion_id::text as id, a.final_text, s.context, s.articles
       from (select distinct on (e.suggestion_id) e.suggestion_id, e.payload->>'outcome' as outcome,
                    e.payload->>'finalText' as final_text, e.client_created_at
               from events e
              where e.tenant_id = $1 and e.type = 'adoption'
              order by e.suggestion_id, e.client_created_at desc, e.id desc) a
       join suggestions s on s.id = a.suggestion_id and s.tenant_id = $1
      where a.outcome in ('verbatim', 'edited', 'partial') and btrim(coalesce(a.final_text, '')) <> ''
      order by a.client_created_at desc, a.suggestion_id
      limit $2`,
    [tenantId, MAX_MEMORY_ENTRIES],
  );
  const chunkIds = [...new Set(rows.flatMap((r) => r.articles.map((a) => a.chunkId)))];
  const content = new Map<string, string>();
  for (let i = 0; i < chunkIds.length; i += 1_000) {
    const found = await database.query<{ chunk_id: string; content: string }>(`select chunk_id, content from kb_chunks where tenant_id = $1 and chunk_id = any($2::text[])`, [
      tenantId,
      chunkIds.slice(i, i + 1_000),
    ]);
    for (const f of found) content.set(f.chunk_id, f.content);
  }
  const out: AdoptedReply[] = [];
  for (let i = 0; i < rows.length; i += 100) {
    const batch = rows.slice(i, i + 100);
    const queries = batch.map((r) => queryFromTicket({ subject: r.context.subject ?? '', messages: r.context.messages ?? [] }));
    const lexemes = await stemmedLexemes(database, queries);
    batch.forEach((r, j) => {
      out.push({
        suggestionId: r.id,
        ticket: r.context,
        query: queries[j]!,
        lexemes: lexemes[j] ?? [],
        // An article deleted since is left out, as a new suggestion would not retrieve it.
        articles: r.articles.flatMap((a) => (content.has(a.chunkId) ? [{ ...a, content: content.get(a.chunkId)! }] : [])),
        finalText: r.final_text,
      });
    });
  }
  return out;
}

function entryOf(reply: AdoptedReply): ReplyMemoryEntry {
  const names = [...new Set([reply.ticket.subject ?? '', ...(reply.ticket.messages ?? []).map((m) => m.text)].flatMap((t) => namesIn(t)))];
  return { suggestionId: reply.suggestionId, terms: termCounts(reply.lexemes), reply: reply.finalText, names };
}

export function memoryParams(replies: AdoptedReply[], minOverlap: number): ReplyMemoryParams {
  return { entries: replies.map(entryOf), minOverlap };
}

/** The arm-A extractive reply to an adopted reply's ticket, with the memory (or without, when null). */
export function replayReply(reply: AdoptedReply, memory: ReplyMemory | null, minOverlap?: number): { text: string; used: boolean } {
  // Never the ticket's own reply: an evaluation must not find the answer it is scored against.
  const example = memory?.nearest(reply.lexemes, 1, (e) => e.suggestionId === reply.suggestionId, minOverlap)[0];
  const fromMemory = example ? composeFromMemory(reply.query, ticketTextOf(reply), reply.articles, example, 'A', 'replay') : null;
  if (fromMemory) return { text: fromMemory.text, used: true };
  return { text: composeExtractive(reply.query, reply.articles, EXTRACTIVE_PROFILES[0], 'replay').text, used: false };
}

function ticketTextOf(reply: AdoptedReply): string {
  return [reply.ticket.subject ?? '', ...(reply.ticket.messages ?? []).map((m) => m.text)].join('\n');
}

/**
 * Token F1 of replayReply for each of several overlap thresholds, computed once where they agree:
 * the memory is searched once (nearest with threshold t is the first example of that search with
 * overlap ≥ t), each example is composed once, and the reply without a memory (the same whatever
 * the memory) once per reply for the whole run (`scores`).
 */
function replayScores(reply: AdoptedReply, memory: ReplyMemory | null, thresholds: number[], scores: ReplayCache): { f1: number; used: boolean }[] {
  const examples = memory?.nearest(reply.lexemes, Infinity, (e) => e.suggestionId === reply.suggestionId, 0) ?? [];
  const composed = new Map<ReplyExample, number | null>();
  return thresholds.map((t) => {
    const example = examples.find((e) => e.overlap >= t);
    if (example) {
      if (!composed.has(example)) {
        const fromMemory = composeFromMemory(reply.query, ticketTextOf(reply), reply.articles, example, 'A', 'replay');
        composed.set(example, fromMemory ? replyTokenF1(fromMemory.text, reply.finalText) : null);
      }
      const f1 = composed.get(example)!;
      if (f1 !== null) return { f1, used: true };
    }
    let f1 = scores.get(reply);
    if (f1 === undefined) {
      f1 = replyTokenF1(composeExtractive(reply.query, reply.articles, EXTRACTIVE_PROFILES[0], 'replay').text, reply.finalText);
      scores.set(reply, f1);
    }
    return { f1, used: false };
  });
}

/** Token F1 of each reply's extractive reply without a memory, kept for one flywheel run. */
type ReplayCache = WeakMap<AdoptedReply, number>;

function evaluateThresholds(replies: AdoptedReply[], memory: ReplyMemory | null, thresholds: number[], scores: ReplayCache): ReplyMemoryMetrics[] {
  const f1 = thresholds.map(() => 0);
  const used = thresholds.map(() => 0);
  for (const r of replies) {
    replayScores(r, memory, thresholds, scores).forEach((s, i) => {
      f1[i]! += s.f1;
      if (s.used) used[i]!++;
    });
  }
  const n = Math.max(1, replies.length);
  return thresholds.map((_, i) => ({ replies: replies.length, tokenF1: f1[i]! / n, usedMemory: used[i]! / n }));
}

export function evaluateMemory(replies: AdoptedReply[], memory: ReplyMemory | null, minOverlap?: number, scores: ReplayCache = new WeakMap()): ReplyMemoryMetrics {
  return evaluateThresholds(replies, memory, [minOverlap ?? memory?.params.minOverlap ?? 0], scores)[0]!;
}

/** The overlap threshold with the best leave-one-out token F1 on these replies (ties: the stricter). */
export function chooseMinOverlap(replies: AdoptedReply[], scores: ReplayCache = new WeakMap()): number {
  const memory = new ReplyMemory('choose', 0, memoryParams(replies, 0));
  const thresholds = [...OVERLAP_GRID].reverse();
  const metrics = evaluateThresholds(replies, memory, thresholds, scores);
  let best: number = OVERLAP_GRID.at(-1)!;
  let bestF1 = -1;
  for (const [i, threshold] of thresholds.entries()) {
    const { tokenF1 } = metrics[i]!;
    if (tokenF1 > bestF1 + 1e-12) {
      bestF1 = tokenF1;
      best = threshold;
    }
  }
  return best;
}

/**
 * The generation turn of the flywheel: export the adopted replies, hold out a slice (by a hash of the
 * ticket's query, as retrieval does), build a memory from the rest with the overlap threshold that
 * does best on the rest, and compare on the held-out slice the extractive replies it composes with
 * those of the memory promoted now (its entries without the held-out tickets, so that it cannot
 * answer them with their own replies) or of no memory. Promoted only if its mean token F1 against
 * the sent replies is higher. A version that passes is rebuilt from every adopted reply.
 */
export async function runReplyMemory(database: Database, tenantId: string, options: { cache?: ModelInvalidator } = {}): Promise<ReplyMemoryRunResult> {
  const started = performance.now();
  const replies = (await exportAdoptedReplies(database, tenantId)).filter((r) => r.lexemes.length);
  const train: AdoptedReply[] = [];
  const heldOut: AdoptedReply[] = [];
  for (const r of replies) (unitHash(`split:${r.query.trim().toLowerCase()}`) < HELD_OUT_SHARE ? heldOut : train).push(r);
  const trainedOn = { adoptedReplies: replies.length, heldOutReplies: heldOut.length };
  const seconds = () => (performance.now() - started) / 1000;
  if (replies.length < MIN_ADOPTED_REPLIES || !heldOut.length || !train.length) {
    return { modelId: null, version: null, status: 'skipped', reason: `too few adopted replies (${replies.length}, at least ${MIN_ADOPTED_REPLIES})`, heldOut: null, trainedOn, seconds: seconds() };
  }

  const scores: ReplayCache = new WeakMap();
  const minOverlap = chooseMinOverlap(train, scores);
  const candidate = { ...evaluateMemory(heldOut, new ReplyMemory('candidate', 0, memoryParams(train, minOverlap)), undefined, scores), minOverlap };
  const [promoted] = await database.query<{ id: string; version: number; params: ReplyMemoryParams }>(
    `select id::text as id, version, params from models where tenant_id = $1 and kind = $2 and status = 'promoted' limit 1`,
    [tenantId, REPLY_MEMORY_KIND],
  );
  const held = new Set(heldOut.map((r) => r.suggestionId));
  const currentMemory = promoted
    ? new ReplyMemory(promoted.id, promoted.version, { ...promoted.params, entries: promoted.params.entries.filter((e) => !held.has(e.suggestionId)) })
    : null;
  const current = { ...evaluateMemory(heldOut, currentMemory, undefined, scores), version: promoted?.version ?? null };
  const passes = candidate.tokenF1 > current.tokenF1;

  const params = memoryParams(replies, chooseMinOverlap(replies, scores));
  const id = randomUUID();
  const version = await nextVersion(database, tenantId, REPLY_MEMORY_KIND);
  await database.db.insert(models).values({
    id,
    tenantId,
    kind: REPLY_MEMORY_KIND,
    version,
    params,
    metrics: { heldOut: { candidate, current }, gate: passes ? 'passed' : 'failed', minOverlap: params.minOverlap },
    status: 'candidate',
    trainedOn,
  });
  if (passes) await promoteModel(database, tenantId, id, options.cache);
  return { modelId: id, version, status: passes ? 'promoted' : 'candidate', heldOut: { candidate, current }, trainedOn, seconds: seconds() };
}
