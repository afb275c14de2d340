/**
 * Generation learns too: token F1 of `/v1/suggest` replies (extractive generator, no model) against
 * the DSTC11 dev gold replies, before and after one flywheel cycle that learned from adopted replies.
 * Writes bench/results/generation.{json,md}.
 *
 *   npm run bench:generation     (PGlite; BENCH_DB=postgres uses DATABASE_URL; BENCH_SEED, BENCH_GENERATION_TURNS)
 *
 * DSTC11 dev's knowledge-seeking turns are split in half with a seeded generator, by conversation
 * (instances are overlapping prefixes of the same dialogues, so one conversation stays on one side).
 * The memory half's gold replies go in as adopted replies through the real event API, each after a
 * `/v1/suggest` for its ticket (so the suggestion exists) and its `suggestion.shown`. The evaluation
 * half is only ever asked for suggestions; nothing learns from it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { compareReply } from '../lib/adoption/similarity';
import type { SuggestResponse, TicketContextInput } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import type { FlywheelResult } from '../server/flywheel/run';
import { replyTokenF1 } from '../server/generation/reply-memory';
import { createToken } from '../server/tenancy';
import { loadDstc11, type DstcTurn } from './lib/data';
import { loadTenant, post, startBenchServer, type BenchServer } from './lib/harness';
import { seededRandom } from '../lib/random';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const kind = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'pglite';
const SEED = Number(process.env.BENCH_SEED ?? 11);
/** Knowledge-seeking turns used (all 1,616 by default). */
const LIMIT = Number(process.env.BENCH_GENERATION_TURNS ?? Infinity);
const BOOTSTRAP = 2_000;
const TENANT = 'dstc11-generation';

const context = (turn: DstcTurn): TicketContextInput => ({ helpdesk: 'zendesk', ticketId: `dstc-${turn.index}`, messages: turn.messages });

/** Per evaluation turn and arm: token F1 of the suggestion against the gold reply. */
async function measure(server: BenchServer, token: string, turns: DstcTurn[], label: string): Promise<Record<string, number[]>> {
  const f1: Record<string, number[]> = {};
  for (const [i, turn] of turns.entries()) {
    const res = await post<SuggestResponse>(server, token, '/v1/suggest', context(turn));
    for (const c of res.candidates) (f1[c.arm] ??= []).push(replyTokenF1(c.text, turn.response));
    if ((i + 1) % 200 === 0) console.log(`  ${label}: ${i + 1}/${turns.length}`);
  }
  return f1;
}

/** The memory half: suggest, show, then adopt with the gold reply as the text the agent sent. */
async function ingest(server: BenchServer, token: string, turns: DstcTurn[]) {
  const outcomes: Record<string, number> = {};
  for (const [i, turn] of turns.entries()) {
    const res = await post<SuggestResponse>(server, token, '/v1/suggest', context(turn));
    const chosen = res.candidates[0]!;
    const comparison = compareReply(chosen.text, turn.response);
    const common = {
      schemaVersion: 1,
      helpdesk: 'zendesk',
      ticketId: `dstc-${turn.index}`,
      suggestionId: res.suggestionId,
      experiment: res.experiment,
      clientVersion: 'bench-generation',
    };
    const shownAt = new Date();
    const events = [
      {
        ...common,
        id: uuidv7(),
        type: 'suggestion.shown',
        createdAt: shownAt.toISOString(),
        candidates: res.candidates.map((c, side) => ({ id: c.id, arm: c.arm, model: c.model, side: side === 0 ? 'left' : 'right' })),
        articles: res.articles.map((a) => ({ articleId: a.articleId, chunkId: a.chunkId, rank: a.rank, score: a.score })),
        latencyMs: res.latencyMs,
      },
      {
        ...common,
        id: uuidv7(),
        type: 'adoption',
        createdAt: new Date(shownAt.getTime() + 1).toISOString(),
        candidateId: chosen.id,
        insertMethod: 'insert',
        // The issue's setting: every gold reply is an adopted reply, whatever the classifier would say
        // of its distance to the suggestion (recorded below as `classifierWouldSay`).
        outcome: 'edited',
        similarity: comparison.similarity,
        editDistance: comparison.editDistance,
        timeToSendMs: 30_000,
        sendPath: 'button',
        finalText: turn.response,
      },
    ];
    outcomes[comparison.outcome] = (outcomes[comparison.outcome] ?? 0) + 1;
    await post(server, token, '/v1/events', { events });
    if ((i + 1) % 200 === 0) console.log(`  ingested ${i + 1}/${turns.length}`);
  }
  return { adoptedReplies: turns.length, classifierWouldSay: outcomes };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

/** Percentile bootstrap 95% interval of the mean, with a seeded resampler. */
function bootstrap(values: number[], seed: number): [number, number] {
  const rand = seededRandom(seed);
  const means: number[] = [];
  for (let b = 0; b < BOOTSTRAP; b++) {
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[Math.floor(rand() * values.length)]!;
    means.push(s / values.length);
  }
  means.sort((a, b) => a - b);
  return [means[Math.floor(0.025 * BOOTSTRAP)]!, means[Math.ceil(0.975 * BOOTSTRAP) - 1]!];
}

function summary(values: number[], seed: number) {
  const [low, high] = bootstrap(values, seed);
  return { mean: mean(values), ci95: [low, high] as [number, number], n: values.length };
}

async function main() {
  const started = performance.now();
  const dstc = loadDstc11();
  const turns = dstc.turns.slice(0, LIMIT);
  // Seeded half split by conversation: the first customer message names the dialogue.
  const rand = seededRandom(SEED);
  const side = new Map<string, boolean>();
  for (const t of turns) {
    const key = t.messages[0]!.text;
    if (!side.has(key)) side.set(key, rand() < 0.5);
  }
  const memoryHalf = turns.filter((t) => side.get(t.messages[0]!.text));
  const evalHalf = turns.filter((t) => !side.get(t.messages[0]!.text));
  console.log(`DSTC11 dev knowledge-seeking turns ${turns.length}: memory half ${memoryHalf.length}, evaluation half ${evalHalf.length}`);

  const server = await startBenchServer(kind);
  try {
    const t0 = performance.now();
    const { token } = await loadTenant(server, TENANT, dstc.articles);
    const admin = await createToken(server.database.db, { tenant: TENANT, team: 'bench', name: 'bench-admin', role: 'admin' });
    console.log(`KB of ${dstc.articles.length} snippets loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const before = await measure(server, token, evalHalf, 'before');
    const ingestion = await ingest(server, token, memoryHalf);
    const t1 = performance.now();
    const flywheel = await post<FlywheelResult>(server, admin, '/v1/admin/flywheel/run', {});
    const cycleSeconds = (performance.now() - t1) / 1000;
    console.log(`flywheel: retrieval ${flywheel.status}, reply memory ${flywheel.generation.status} in ${cycleSeconds.toFixed(1)} s`);
    const after = await measure(server, token, evalHalf, 'after');

    // Which part of the cycle did it: the same evaluation with the reply memory rolled back (the
    // retrieval model the cycle promoted, if any, stays).
    let retrievalOnly: Record<string, number[]> | null = null;
    if (flywheel.generation.status === 'promoted') {
      await post(server, admin, '/v1/admin/flywheel/rollback?kind=reply-memory', {});
      retrievalOnly = await measure(server, token, evalHalf, 'reply memory rolled back');
    }

    const arms = Object.keys(before).sort();
    const rows = arms.map((arm, k) => {
      const diff = after[arm]!.map((v, i) => v - before[arm]![i]!);
      return {
        arm,
        before: summary(before[arm]!, SEED + 10 * k + 1),
        after: summary(after[arm]!, SEED + 10 * k + 2),
        difference: summary(diff, SEED + 10 * k + 3),
        retrievalOnly: retrievalOnly ? summary(retrievalOnly[arm]!, SEED + 10 * k + 4) : null,
      };
    });
    const seconds = (performance.now() - started) / 1000;
    const result = {
      database: kind,
      date: new Date().toISOString(),
      seconds,
      seed: SEED,
      split: { turns: turns.length, memoryHalf: memoryHalf.length, evaluationHalf: evalHalf.length, by: 'conversation (first customer message)' },
      metric: 'SQuAD-style token F1 (lowercase, punctuation, citation marks and a/an/the removed) of each candidate vs the gold reply',
      ingestion,
      flywheel: { cycleSeconds, retrieval: { status: flywheel.status, heldOut: flywheel.heldOut }, generation: flywheel.generation },
      rows,
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'generation.json'), JSON.stringify(result, null, 2));
    const f = (s: { mean: number; ci95: [number, number] }) => `${s.mean.toFixed(3)} [${s.ci95[0].toFixed(3)}, ${s.ci95[1].toFixed(3)}]`;
    const g = flywheel.generation;
    const md = [
      `# Generation learns too: DSTC11 dev (${kind}, ${result.date.slice(0, 10)}, ${seconds.toFixed(0)} s)`,
      '',
      `${turns.length} knowledge-seeking dev turns, split in half by conversation (seed ${SEED}): ${memoryHalf.length} gold replies ingested as adopted replies through \`/v1/events\`, ${evalHalf.length} turns evaluated through \`/v1/suggest\` (extractive generator). Token F1 (SQuAD-style) against the gold reply, mean and 95% bootstrap interval (${BOOTSTRAP} resamples; the difference is paired per turn).`,
      '',
      '| arm | before the cycle | after the cycle | after − before | after, reply memory rolled back |',
      '|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.arm} | ${f(r.before)} | ${f(r.after)} | ${r.difference.mean >= 0 ? '+' : ''}${f(r.difference)} | ${r.retrievalOnly ? f(r.retrievalOnly) : '—'} |`),
      '',
      `Flywheel cycle (${cycleSeconds.toFixed(1)} s): retrieval ${flywheel.status}; reply memory ${g.status}` +
        (g.heldOut
          ? ` (held-out adopted replies ${g.heldOut.candidate.replies}: token F1 ${g.heldOut.current.tokenF1.toFixed(3)} without → ${g.heldOut.candidate.tokenF1.toFixed(3)} with the candidate, memory used for ${(100 * g.heldOut.candidate.usedMemory).toFixed(0)}%, overlap threshold ${g.heldOut.candidate.minOverlap}).`
          : ` (${g.reason}).`),
      '',
      `The adoption classifier would have called the ingested (suggestion, gold) pairs: ${Object.entries(ingestion.classifierWouldSay)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; all were sent as \`edited\` adoptions, as the issue sets the experiment up.`,
      '',
    ].join('\n');
    writeFileSync(join(RESULTS, 'generation.md'), md);
    console.log(md);
  } finally {
    await server.close();
  }
}

await main();
