/**
 * The flywheel on FeedbackQA: simulated agents annotate the train questions through the real APIs,
 * one flywheel run learns from those annotations, and the valid questions are retrieved through
 * `/v1/retrieve` before and after it. Writes bench/results/flywheel.{json,md}.
 *
 *   npm run bench:flywheel     (PGlite; BENCH_DB=postgres uses DATABASE_URL)
 *
 * Each train question is a ticket, worked by one of BENCH_AGENTS (default 10) simulated agents, each
 * with their own token; a BENCH_OVERLAP share (default 0.3) of the tickets is also worked by a second
 * agent (a handover, a second look), which is what lets the flywheel compare agents. Each agent
 * calls `/v1/suggest` with the question as the customer's message and labels the articles the
 * overlay showed (the top 8): relevant when the shown article is the question's gold passage,
 * irrelevant otherwise, each label wrong with the scenario's error rate, and only a BENCH_COVERAGE
 * share (default 1) of the shown articles labelled. Labels go to `/v1/events`.
 *
 * Scenarios (BENCH_SCENARIOS, default all): `clean` (no errors), `uniform` (every agent wrong 10% of
 * the time), `careless` (the same 10% of all labels wrong, all from 2 of the 10 agents, who are
 * wrong half the time). For each, one `POST /v1/admin/flywheel/run` with every label counted as
 * certain, the valid questions through `/v1/retrieve`, a rollback, then the default cycle that
 * weighs labels by the agents' estimated annotation quality, and the valid questions again. The
 * valid questions and their labels are evaluation data only: nothing learns from them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { AnnotationQualityResponse, RetrieveResponse, SuggestResponse } from '../lib/contract';
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
/** Error rate per agent in each scenario (10 agents; see the header). */
const SCENARIOS: Record<string, { noise: number; errorOf: (agent: number, agents: number) => number }> = {
  clean: { noise: 0, errorOf: () => 0 },
  uniform: { noise: 0.1, errorOf: () => 0.1 },
  careless: { noise: 0.1, errorOf: (agent, agents) => (agent < CARELESS_AGENTS ? (0.1 * agents) / CARELESS_AGENTS : 0) },
};
const CARELESS_AGENTS = 2;
const SCENARIO_NAMES = process.env.BENCH_SCENARIOS?.split(',') ?? Object.keys(SCENARIOS);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 10);
const OVERLAP = Number(process.env.BENCH_OVERLAP ?? 0.3);
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

/**
 * The simulated agents: each ticket's agent (and, for an OVERLAP share, a second one) asks for a
 * suggestion and labels the shown articles, wrong with their scenario's error rate.
 */
async function annotate(server: BenchServer, tokens: string[], queries: LabelledQuery[], errorOf: (agent: number) => number, rand: () => number) {
  let labels = 0;
  let wrong = 0;
  let goldShown = 0;
  let worked = 0;
  for (const [i, q] of queries.entries()) {
    const first = Math.floor(rand() * tokens.length);
    const workers = [first];
    if (rand() < OVERLAP && tokens.length > 1) workers.push((first + 1 + Math.floor(rand() * (tokens.length - 1))) % tokens.length);
    for (const agent of workers) {
      const ticketId = `train-${q.id}`;
      const res = await post<SuggestResponse>(server, tokens[agent]!, '/v1/suggest', {
        helpdesk: 'zendesk',
        ticketId,
        subject: '',
        messages: [{ author: 'customer', text: q.query }],
      });
      worked++;
      if (res.articles.some((a) => q.gold.includes(a.articleId))) goldShown++;
      const events = res.articles.flatMap((a) => {
        if (rand() >= COVERAGE) return [];
        const truth = q.gold.includes(a.articleId);
        const flipped = rand() < errorOf(agent);
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
      if (events.length) await post(server, tokens[agent]!, '/v1/events', { events });
    }
    if ((i + 1) % 500 === 0) console.log(`  annotated ${i + 1}/${queries.length}`);
  }
  return { tickets: queries.length, suggestions: worked, labels, wrong, goldShown };
}

type Row = { scenario: string; noise: number; dataset: string; system: string; queries: number } & Pick<RankingMetrics, (typeof METRICS)[number]>;

function row(scenario: string, noise: number, dataset: string, system: string, all: RankingMetrics[]): Row {
  const m = meanMetrics(all);
  return { scenario, noise, dataset, system, queries: all.length, ...Object.fromEntries(METRICS.map((k) => [k, m[k]])) } as Row;
}

async function main() {
  const started = performance.now();
  const rows: Row[] = [];
  const runs: Record<string, unknown>[] = [];
  for (const name of SCENARIO_NAMES) {
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(`unknown scenario ${name}: one of ${Object.keys(SCENARIOS).join(', ')}`);
    const server = await startBenchServer(kind);
    const systems = ['reference', 'before', 'unweighted', 'weighted'] as const;
    const micro = Object.fromEntries(systems.map((s) => [s, [] as RankingMetrics[]])) as Record<(typeof systems)[number], RankingMetrics[]>;
    try {
      for (const domain of DOMAINS) {
        const train = loadFeedbackQa(domain, 'train');
        train.queries = train.queries.slice(0, LIMIT);
        const valid = loadFeedbackQa(domain, 'valid');
        valid.queries = valid.queries.slice(0, LIMIT);
        const tenant = `fqa-${domain.toLowerCase()}`;
        const { token } = await loadTenant(server, tenant, valid.articles);
        const agentTokens = await Promise.all(
          Array.from({ length: AGENTS }, (_, a) => createToken(server.database.db, { tenant, team: 'bench', name: `bench-agent-${a}`, role: 'agent' })),
        );
        const adminToken = await createToken(server.database.db, { tenant, team: 'bench', name: 'bench-admin', role: 'admin' });
        const reference = new Bm25Reference(valid.articles);
        const refMetrics = valid.queries.map((q) => rankingMetrics(reference.search(q.query, 75), q.gold));
        const before = await evaluate(server, token, valid.queries);
        const rand = seededRandom(SEED + Math.round(scenario.noise * 1000) + domain.length);
        const annotation = await annotate(server, agentTokens, train.queries, (agent) => scenario.errorOf(agent, AGENTS), rand);
        const cycle = async (annotationWeighting: boolean) => {
          const rssBefore = process.memoryUsage().rss;
          let peakRss = rssBefore;
          const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
          const t0 = performance.now();
          const flywheel = await post<FlywheelResult>(server, adminToken, '/v1/admin/flywheel/run', { annotationWeighting });
          const cycleSeconds = (performance.now() - t0) / 1000;
          clearInterval(sampler);
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          const after = await evaluate(server, token, valid.queries);
          return { flywheel, cycleSeconds, peakRssMb: peakRss / 2 ** 20, after };
        };
        // Every label as certain first; then undo its promotion, so that the weighted cycle is
        // gated against the same starting point.
        const unweighted = await cycle(false);
        if (unweighted.flywheel.status === 'promoted') await post(server, adminToken, '/v1/admin/flywheel/rollback', {});
        const weighted = await cycle(true);
        const quality = (await (await fetch(`${server.url}/v1/admin/flywheel/annotators`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as AnnotationQualityResponse;
        micro.reference.push(...refMetrics);
        micro.before.push(...before);
        micro.unweighted.push(...unweighted.after);
        micro.weighted.push(...weighted.after);
        const dataset = `FeedbackQA ${domain} (valid)`;
        rows.push(
          row(name, scenario.noise, dataset, 'BM25 reference', refMetrics),
          row(name, scenario.noise, dataset, '/v1/retrieve before', before),
          row(name, scenario.noise, dataset, 'after, labels unweighted', unweighted.after),
          row(name, scenario.noise, dataset, 'after, weighted by annotation quality', weighted.after),
        );
        for (const [weighting, c] of [['unweighted', unweighted], ['weighted', weighted]] as const) {
          runs.push({ scenario: name, noise: scenario.noise, domain, weighting, annotation, flywheel: c.flywheel, cycleSeconds: c.cycleSeconds, peakRssMb: c.peakRssMb, ...(weighting === 'weighted' ? { quality } : {}) });
          console.log(
            `${name} ${domain} ${weighting}: ${c.flywheel.status} v${c.flywheel.version} in ${c.cycleSeconds.toFixed(1)} s; MRR@8 ${meanMetrics(before)['MRR@8'].toFixed(3)} → ${meanMetrics(c.after)['MRR@8'].toFixed(3)}; recall@20 ${meanMetrics(before)['recall@20'].toFixed(3)} → ${meanMetrics(c.after)['recall@20'].toFixed(3)}`,
          );
        }
      }
      rows.push(
        row(name, scenario.noise, 'FeedbackQA micro-average', 'BM25 reference', micro.reference),
        row(name, scenario.noise, 'FeedbackQA micro-average', '/v1/retrieve before', micro.before),
        row(name, scenario.noise, 'FeedbackQA micro-average', 'after, labels unweighted', micro.unweighted),
        row(name, scenario.noise, 'FeedbackQA micro-average', 'after, weighted by annotation quality', micro.weighted),
      );
    } finally {
      await server.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  mkdirSync(RESULTS, { recursive: true });
  const result = { database: kind, date: new Date().toISOString(), seconds, coverage: COVERAGE, overlap: OVERLAP, agents: AGENTS, seed: SEED, rows, runs };
  if (SUFFIX) {
    writeFileSync(join(RESULTS, `flywheel${SUFFIX}.json`), JSON.stringify(result, null, 2));
    console.log(report([result]));
  } else write([result]);
}

type Result = { database: string; date: string; seconds: number; coverage: number; overlap: number; agents: number; seed: number; rows: Row[]; runs: Record<string, unknown>[] };

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
  const head = `| scenario | dataset | system | queries | ${METRICS.join(' | ')} |\n|---|---|---|---|${METRICS.map(() => '---').join('|')}|`;
  const table = [head, ...rows.map((r) => `| ${r.scenario} (${Math.round(r.noise * 100)}% wrong) | ${r.dataset} | ${r.system} | ${r.queries} | ${METRICS.map((m) => r[m].toFixed(3)).join(' | ')} |`)].join('\n');
  const cycles = [
    '| scenario | domain | labels | weighting | status | held-out MRR@8 current → candidate | cycle s | peak RSS MB | least / most trusted agent (estimated accuracy) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => {
      const a = r.annotation as { labels: number };
      const f = r.flywheel as FlywheelResult;
      const h = f.heldOut ? `${f.heldOut.current['MRR@8'].toFixed(3)} → ${f.heldOut.candidate['MRR@8'].toFixed(3)}` : '—';
      const agents = (r.quality as AnnotationQualityResponse | undefined)?.agents ?? [];
      const trust = agents.length ? `${agents[0]!.name} ${agents[0]!.accuracy.toFixed(3)} / ${agents.at(-1)!.name} ${agents.at(-1)!.accuracy.toFixed(3)}` : '—';
      return `| ${r.scenario} | ${r.domain} | ${a.labels} | ${r.weighting} | ${f.status} | ${h} | ${(r.cycleSeconds as number).toFixed(1)} | ${(r.peakRssMb as number).toFixed(0)} | ${trust} |`;
    }),
  ].join('\n');
  return [
    `# Flywheel on FeedbackQA (${first.database}, ${first.date.slice(0, 10)}, ${seconds.toFixed(0)} s of runs, ${first.agents} agents, overlap ${first.overlap}, coverage ${first.coverage}, seed ${first.seed})`,
    '',
    table,
    '',
    cycles,
    '',
  ].join('\n');
}

if (process.argv[2] === '--combine') write(process.argv.slice(3).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Result));
else await main();
