/**
 * The flywheel on FeedbackQA: simulated agents annotate the train questions through the real APIs,
 * one flywheel run learns from those annotations, and the valid questions are retrieved through
 * `/v1/retrieve` before and after it. Writes bench/results/flywheel.{json,md}.
 *
 *   npm run bench:flywheel     (PGlite; BENCH_DB=postgres uses DATABASE_URL)
 *
 * Each train question is a ticket: `/v1/suggest` is called with it as the customer's message, and
 * the agent labels the articles the overlay showed (the top 8): relevant when the shown article is
 * the question's gold passage, irrelevant otherwise, each label flipped with probability
 * BENCH_NOISE_LEVELS (default "0,0.1"), and only a BENCH_COVERAGE share (default 1) of the shown
 * articles labelled. Labels go to `/v1/events`. Then `POST /v1/admin/flywheel/run`. The valid
 * questions and their labels are evaluation data only: nothing learns from them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { RetrieveResponse, SuggestResponse } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import type { FlywheelResult } from '../server/flywheel/run';
import { createToken } from '../server/tenancy';
import { Bm25Reference } from './lib/bm25';
import { FEEDBACKQA_DOMAINS, loadFeedbackQa, type LabelledQuery } from './lib/data';
import { loadTenant, post, startBenchServer, type BenchServer } from './lib/harness';
import { dedupe, meanMetrics, rankingMetrics, type RankingMetrics } from './lib/metrics';
import { seededRandom } from '../lib/random';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const kind = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'pglite';
const NOISE_LEVELS = (process.env.BENCH_NOISE_LEVELS ?? '0,0.1').split(',').map(Number);
const COVERAGE = Number(process.env.BENCH_COVERAGE ?? 1);
const SEED = Number(process.env.BENCH_SEED ?? 7);
/** Smoke runs: at most this many train and valid questions per domain. */
const LIMIT = Number(process.env.BENCH_FLYWHEEL_LIMIT ?? Infinity);
const DOMAINS = (process.env.BENCH_DOMAINS?.split(',') ?? FEEDBACKQA_DOMAINS) as typeof FEEDBACKQA_DOMAINS;
const SUFFIX = process.env.BENCH_RESULT_SUFFIX ?? '';
const METRICS = ['recall@20', 'recall@75', 'MRR@8', 'nDCG@8'] as const;


async function evaluate(server: BenchServer, token: string, queries: LabelledQuery[]): Promise<RankingMetrics[]> {
  const out: RankingMetrics[] = [];
  for (const q of queries) {
    const { results } = await post<RetrieveResponse>(server, token, '/v1/retrieve', { query: q.query, k: 75 });
    out.push(rankingMetrics(dedupe(results.map((r) => r.articleId)), q.gold));
  }
  return out;
}

/** The simulated agent: one suggestion per train question, a label for each shown article. */
async function annotate(server: BenchServer, token: string, queries: LabelledQuery[], noise: number, rand: () => number) {
  let labels = 0;
  let wrong = 0;
  let goldShown = 0;
  for (const [i, q] of queries.entries()) {
    const ticketId = `train-${q.id}`;
    const res = await post<SuggestResponse>(server, token, '/v1/suggest', {
      helpdesk: 'zendesk',
      ticketId,
      subject: '',
      messages: [{ author: 'customer', text: q.query }],
    });
    if (res.articles.some((a) => q.gold.includes(a.articleId))) goldShown++;
    const events = res.articles.flatMap((a) => {
      if (rand() >= COVERAGE) return [];
      const truth = q.gold.includes(a.articleId);
      const flipped = rand() < noise;
      labels++;
      if (flipped) wrong++;
      return [
        {
          id: uuidv7(),
          schemaVersion: 1,
          type: 'knowledge.relevance',
          helpdesk: 'zendesk',
          ticketId,
          suggestionId: res.suggestionId,
          experiment: null,
          createdAt: new Date().toISOString(),
          clientVersion: 'bench-flywheel',
          articleId: a.articleId,
          chunkId: a.chunkId,
          rank: a.rank,
          label: truth !== flipped ? 'relevant' : 'irrelevant',
        },
      ];
    });
    if (events.length) await post(server, token, '/v1/events', { events });
    if ((i + 1) % 500 === 0) console.log(`  annotated ${i + 1}/${queries.length}`);
  }
  return { tickets: queries.length, labels, wrong, goldShown };
}

type Row = { noise: number; dataset: string; system: string; queries: number } & Pick<RankingMetrics, (typeof METRICS)[number]>;

function row(noise: number, dataset: string, system: string, all: RankingMetrics[]): Row {
  const m = meanMetrics(all);
  return { noise, dataset, system, queries: all.length, ...Object.fromEntries(METRICS.map((k) => [k, m[k]])) } as Row;
}

async function main() {
  const started = performance.now();
  const rows: Row[] = [];
  const runs: Record<string, unknown>[] = [];
  for (const noise of NOISE_LEVELS) {
    const server = await startBenchServer(kind);
    const micro: Record<string, RankingMetrics[]> = { reference: [], before: [], after: [] };
    try {
      for (const domain of DOMAINS) {
        const train = loadFeedbackQa(domain, 'train');
        train.queries = train.queries.slice(0, LIMIT);
        const valid = loadFeedbackQa(domain, 'valid');
        valid.queries = valid.queries.slice(0, LIMIT);
        const tenant = `fqa-${domain.toLowerCase()}`;
        const { token } = await loadTenant(server, tenant, valid.articles);
        const adminToken = await createToken(server.database.db, { tenant, team: 'bench', name: 'bench-admin', role: 'admin' });
        const reference = new Bm25Reference(valid.articles);
        const refMetrics = valid.queries.map((q) => rankingMetrics(reference.search(q.query, 75), q.gold));
        const before = await evaluate(server, token, valid.queries);
        const rand = seededRandom(SEED + Math.round(noise * 1000) + domain.length);
        const annotation = await annotate(server, token, train.queries, noise, rand);
        const rssBefore = process.memoryUsage().rss;
        let peakRss = rssBefore;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
        const t0 = performance.now();
        const flywheel = await post<FlywheelResult>(server, adminToken, '/v1/admin/flywheel/run', {});
        const cycleSeconds = (performance.now() - t0) / 1000;
        clearInterval(sampler);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        const after = await evaluate(server, token, valid.queries);
        micro.reference!.push(...refMetrics);
        micro.before!.push(...before);
        micro.after!.push(...after);
        const dataset = `FeedbackQA ${domain} (valid)`;
        rows.push(row(noise, dataset, 'BM25 reference', refMetrics), row(noise, dataset, '/v1/retrieve before', before), row(noise, dataset, '/v1/retrieve after', after));
        runs.push({ noise, domain, annotation, flywheel, cycleSeconds, peakRssMb: peakRss / 2 ** 20, rssBeforeMb: rssBefore / 2 ** 20 });
        console.log(
          `noise ${noise} ${domain}: ${flywheel.status} v${flywheel.version} in ${cycleSeconds.toFixed(1)} s; MRR@8 before ${meanMetrics(before)['MRR@8'].toFixed(3)} after ${meanMetrics(after)['MRR@8'].toFixed(3)}; recall@75 ${meanMetrics(before)['recall@75'].toFixed(3)} → ${meanMetrics(after)['recall@75'].toFixed(3)}`,
        );
      }
      rows.push(
        row(noise, 'FeedbackQA micro-average', 'BM25 reference', micro.reference!),
        row(noise, 'FeedbackQA micro-average', '/v1/retrieve before', micro.before!),
        row(noise, 'FeedbackQA micro-average', '/v1/retrieve after', micro.after!),
      );
    } finally {
      await server.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  mkdirSync(RESULTS, { recursive: true });
  const result = { database: kind, date: new Date().toISOString(), seconds, coverage: COVERAGE, seed: SEED, rows, runs };
  if (SUFFIX) {
    writeFileSync(join(RESULTS, `flywheel${SUFFIX}.json`), JSON.stringify(result, null, 2));
    console.log(report([result]));
  } else write([result]);
}

type Result = { database: string; date: string; seconds: number; coverage: number; seed: number; rows: Row[]; runs: Record<string, unknown>[] };

/** Partial runs (BENCH_RESULT_SUFFIX, e.g. one noise level per process) merged by `--combine a.json b.json`. */
function write(results: Result[]) {
  writeFileSync(join(RESULTS, 'flywheel.json'), JSON.stringify(results.length === 1 ? results[0] : { parts: results }, null, 2));
  const md = report(results);
  writeFileSync(join(RESULTS, 'flywheel.md'), md);
  console.log(md);
}

function report(results: Result[]): string {
  const rows = results.flatMap((r) => r.rows);
  const runs = results.flatMap((r) => r.runs);
  const first = results[0]!;
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  const head = `| label noise | dataset | system | queries | ${METRICS.join(' | ')} |\n|---|---|---|---|${METRICS.map(() => '---').join('|')}|`;
  const table = [head, ...rows.map((r) => `| ${Math.round(r.noise * 100)}% | ${r.dataset} | ${r.system} | ${r.queries} | ${METRICS.map((m) => r[m].toFixed(3)).join(' | ')} |`)].join('\n');
  const cycles = [
    '| label noise | domain | train tickets | labels | gold shown in top 8 | status | held-out MRR@8 current → candidate | cycle s | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => {
      const a = r.annotation as { tickets: number; labels: number; goldShown: number };
      const f = r.flywheel as FlywheelResult;
      const h = f.heldOut ? `${f.heldOut.current['MRR@8'].toFixed(3)} → ${f.heldOut.candidate['MRR@8'].toFixed(3)}` : '—';
      return `| ${Math.round((r.noise as number) * 100)}% | ${r.domain} | ${a.tickets} | ${a.labels} | ${a.goldShown} | ${f.status} | ${h} | ${(r.cycleSeconds as number).toFixed(1)} | ${(r.peakRssMb as number).toFixed(0)} |`;
    }),
  ].join('\n');
  const md = [
    `# Flywheel on FeedbackQA (${first.database}, ${first.date.slice(0, 10)}, ${seconds.toFixed(0)} s of runs, coverage ${first.coverage}, seed ${first.seed})`,
    '',
    table,
    '',
    cycles,
    '',
  ].join('\n');
  return md;
}

if (process.argv[2] === '--combine') write(process.argv.slice(3).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Result));
else await main();
