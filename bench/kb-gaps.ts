/**
 * The KB-gap report on FeedbackQA: 20 source pages are taken out of each domain's knowledge base,
 * simulated agents work the train questions through the real APIs and flag missing knowledge where
 * nothing shown is relevant, and the report (through the real export API) is scored on whether its
 * clusters find the removed pages. Writes bench/results/kb-gaps.{json,md}.
 *
 *   npm run bench:kb-gaps      (PGlite; BENCH_DB=postgres uses DATABASE_URL)
 *
 * Per domain (a tenant each): REMOVED_PAGES source pages (passages sharing a `uri`) are picked with
 * a seeded random among the pages at least two train questions are about (a gap one ticket reveals
 * cannot make a cluster of two), and the KB is loaded without their passages. Each train question
 * is a ticket: `/v1/suggest` with it as the customer's message; the agent labels every shown
 * article (relevant iff it is the question's gold passage) and, when none is relevant, sends a
 * `knowledge.missing` flag whose description is the question (never the page's title: that would
 * leak the answer). Then `GET /v1/admin/exports/kb-gaps?format=csv`.
 *
 * Scoring, over the clusters of at least MIN_TICKETS tickets (a single ticket is not a pattern a
 * knowledge team acts on; all clusters are reported too): a cluster points to the source page that
 * the gold passages of most of its example tickets (the report's up to 5 most representative)
 * come from, if that page holds more than half of them; otherwise to none. Recall: the share of
 * removed pages at least one cluster points to. Precision: the share of clusters pointing to a
 * removed page. Goals: both at least 80%.
 *
 * Then the removed pages are put back and the report is built again: the clusters a new article now
 * answers are marked covered (server/exports/kb-gaps.ts COVERED_DEFINITION).
 *
 * Only the train split is used (valid and test stay held out for the retrieval benches).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { SuggestResponse } from '../lib/contract';
import { seededRandom } from '../lib/random';
import { csvRecords } from '../dashboard/csv';
import { PROJECT_ROOT } from '../server/config';
import { buildKbGapReport } from '../server/exports/kb-gaps';
import { createMissingGrouper } from '../server/exports/kb-gaps-grouping';
import { upsertArticles } from '../server/kb/store';
import { createToken } from '../server/tenancy';
import { FEEDBACKQA_DOMAINS, loadFeedbackQa, type FeedbackQaDomain } from './lib/data';
import { loadTenant, post, startBenchServer, type BenchServer } from './lib/harness';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const kind = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'pglite';
const SEED = Number(process.env.BENCH_SEED ?? 7);
const REMOVED_PAGES = Number(process.env.BENCH_REMOVED_PAGES ?? 20);
const MIN_TICKETS = Number(process.env.BENCH_MIN_TICKETS ?? 2);
/** Smoke runs: at most this many train questions per domain. */
const LIMIT = Number(process.env.BENCH_KB_GAPS_LIMIT ?? Infinity);
/**
 * WHO is left out by default: it has 22 source pages, and removing 20 would leave a knowledge base
 * of two pages, not a knowledge base with gaps (BENCH_DOMAINS=...,WHO runs it anyway).
 */
/** `similarity` or `similarity:missRatio` settings to score in-process, comma-separated. */
const SWEEP = process.env.BENCH_KB_GAPS_SWEEP?.split(',') ?? [];
const DOMAINS = (process.env.BENCH_DOMAINS?.split(',') ?? FEEDBACKQA_DOMAINS.filter((d) => d !== 'WHO')) as FeedbackQaDomain[];

interface ClusterRow {
  key: string;
  title: string;
  flags: number;
  tickets: number;
  covered: boolean;
  retrievalMiss: boolean;
  exampleTickets: string[];
}

/** The report's clusters, read from its CSV through the admin export API. */
async function reportClusters(server: BenchServer, token: string): Promise<ClusterRow[]> {
  const url = `${server.url}/v1/admin/exports/kb-gaps?format=csv`;
  const init = { headers: { authorization: `Bearer ${token}` } };
  // After a long pause the server may close the kept-alive connection just as fetch reuses it.
  const res = await fetch(url, init).catch(() => fetch(url, init));
  if (!res.ok) throw new Error(`kb-gaps export answered ${res.status}: ${await res.text()}`);
  return csvRecords(await res.text())
    .filter((r) => r.section === 'missing')
    .map((r) => ({
      key: r.key!,
      title: r.title!,
      flags: Number(r.flags),
      tickets: Number(r.tickets),
      covered: r.covered === 'yes',
      retrievalMiss: r.retrieval_miss === 'yes',
      exampleTickets: r.example_tickets ? r.example_tickets.split('; ') : [],
    }));
}

/** Fisher–Yates with the seeded random: the first n of a shuffled copy. */
function sample<T>(items: T[], n: number, rand: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/** The page most of the tickets' gold passages are on, if it holds more than half of them. */
function pointsTo(tickets: string[], pageOfTicket: Map<string, string>): string | null {
  const counts = new Map<string, number>();
  for (const t of tickets) {
    const page = pageOfTicket.get(t);
    if (page) counts.set(page, (counts.get(page) ?? 0) + 1);
  }
  const [best] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return best && best[1] * 2 > tickets.length ? best[0] : null;
}

interface Score {
  clusters: number;
  clustersOnRemoved: number;
  precision: number;
  recoveredPages: number;
  recall: number;
}

function score(clusters: ClusterRow[], removed: Set<string>, pageOfTicket: Map<string, string>, minTickets: number): Score {
  const kept = clusters.filter((c) => c.tickets >= minTickets);
  const pointed = kept.map((c) => pointsTo(c.exampleTickets, pageOfTicket));
  const onRemoved = pointed.filter((p): p is string => p !== null && removed.has(p));
  const recovered = new Set(onRemoved);
  return {
    clusters: kept.length,
    clustersOnRemoved: onRemoved.length,
    precision: kept.length ? onRemoved.length / kept.length : 0,
    recoveredPages: recovered.size,
    recall: removed.size ? recovered.size / removed.size : 0,
  };
}

async function runDomain(server: BenchServer, domain: FeedbackQaDomain) {
  const data = loadFeedbackQa(domain, 'train');
  const queries = data.queries.slice(0, LIMIT);
  const pageOfPassage = new Map(data.passages.map((p) => [String(p.passage_id), p.uri]));
  const questionsPerPage = new Map<string, number>();
  for (const q of queries) {
    const page = pageOfPassage.get(q.gold[0]!)!;
    questionsPerPage.set(page, (questionsPerPage.get(page) ?? 0) + 1);
  }
  const candidates = [...questionsPerPage].filter(([, n]) => n >= 2).map(([page]) => page).sort();
  const rand = seededRandom(SEED + domain.length);
  const removed = new Set(sample(candidates, Math.min(REMOVED_PAGES, candidates.length), rand));
  const kept = data.articles.filter((a) => !removed.has(a.url!));
  const removedArticles = data.articles.filter((a) => removed.has(a.url!));

  const tenant = `gaps-${domain.toLowerCase()}`;
  const { tenantId, token } = await loadTenant(server, tenant, kept);
  const admin = await createToken(server.database.db, { tenant, team: 'bench', name: 'bench-admin', role: 'admin' });

  const pageOfTicket = new Map<string, string>();
  let flags = 0;
  let goldRemoved = 0;
  let missedPresent = 0;
  const t0 = performance.now();
  for (const [i, q] of queries.entries()) {
    const ticketId = `train-${q.id}`;
    pageOfTicket.set(ticketId, pageOfPassage.get(q.gold[0]!)!);
    const res = await post<SuggestResponse>(server, token, '/v1/suggest', { helpdesk: 'zendesk', ticketId, subject: '', messages: [{ author: 'customer', text: q.query }] });
    const common = { schemaVersion: 1, helpdesk: 'zendesk', ticketId, suggestionId: res.suggestionId, experiment: null, clientVersion: 'bench-kb-gaps' };
    const labels = res.articles.map((a) => ({
      ...common,
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      type: 'knowledge.relevance',
      articleId: a.articleId,
      chunkId: a.chunkId,
      rank: a.rank,
      label: q.gold.includes(a.articleId) ? 'relevant' : 'irrelevant',
    }));
    const nothingRelevant = !labels.some((l) => l.label === 'relevant');
    const events: object[] = labels;
    if (nothingRelevant) {
      flags++;
      if (removed.has(pageOfTicket.get(ticketId)!)) goldRemoved++;
      else missedPresent++;
      events.push({ ...common, id: uuidv7(), createdAt: new Date().toISOString(), type: 'knowledge.missing', description: q.query });
    }
    if (events.length) await post(server, token, '/v1/events', { events });
    if ((i + 1) % 500 === 0) console.log(`  ${domain}: ${i + 1}/${queries.length} tickets`);
  }
  const ticketSeconds = (performance.now() - t0) / 1000;

  // Tuning on the train tickets (BENCH_KB_GAPS_SWEEP=0.2,0.25,...): the same report in-process with
  // other similarity thresholds, scored the same way.
  const sweep = [];
  for (const setting of SWEEP) {
    const [similarity, missRatio] = setting.split(':').map(Number) as [number, number | undefined];
    const r = await buildKbGapReport(server.database, { tenantId, time: 'received', pageSize: 500 }, createMissingGrouper({ similarity, missRatio }));
    const rows = r.missing.map((g, i) => ({ key: String(i + 1), title: g.title, flags: g.flags, tickets: g.tickets, covered: g.covered, retrievalMiss: g.retrievalMiss, exampleTickets: g.exampleTickets }));
    const s = { similarity, missRatio, gaps: score(rows.filter((c) => !c.retrievalMiss), removed, pageOfTicket, MIN_TICKETS), atLeastMin: score(rows, removed, pageOfTicket, MIN_TICKETS), all: score(rows, removed, pageOfTicket, 1) };
    sweep.push(s);
    console.log(`  similarity ${similarity} miss ratio ${missRatio ?? 'default'}: gaps ≥${MIN_TICKETS} ${s.gaps.clusters} precision ${pct(s.gaps.precision)} recall ${pct(s.gaps.recall)}; all ≥${MIN_TICKETS} clusters ${s.atLeastMin.clusters} precision ${pct(s.atLeastMin.precision)} recall ${pct(s.atLeastMin.recall)}; all ${s.all.clusters} ${pct(s.all.precision)} ${pct(s.all.recall)}`);
  }

  const t1 = performance.now();
  const before = await reportClusters(server, admin);
  const reportSeconds = (performance.now() - t1) / 1000;
  const scores = {
    gaps: score(before.filter((c) => !c.retrievalMiss), removed, pageOfTicket, MIN_TICKETS),
    atLeastMin: score(before, removed, pageOfTicket, MIN_TICKETS),
    all: score(before, removed, pageOfTicket, 1),
  };

  // The knowledge team writes the missing pages: the removed passages come back as new articles.
  for (let i = 0; i < removedArticles.length; i += 200) await upsertArticles(server.database.db, tenantId, removedArticles.slice(i, i + 200));
  const after = await reportClusters(server, admin);
  const onRemoved = (c: ClusterRow) => {
    const page = pointsTo(c.exampleTickets, pageOfTicket);
    return page !== null && removed.has(page);
  };
  const big = after.filter((c) => c.tickets >= MIN_TICKETS);
  const covered = {
    clustersOnRemoved: big.filter(onRemoved).length,
    coveredOnRemoved: big.filter((c) => onRemoved(c) && c.covered).length,
    otherClusters: big.filter((c) => !onRemoved(c)).length,
    coveredOther: big.filter((c) => !onRemoved(c) && c.covered).length,
  };
  const result = {
    domain,
    pages: new Set(pageOfPassage.values()).size,
    removedPages: removed.size,
    removedPassages: removedArticles.length,
    tickets: queries.length,
    ticketsOnRemovedPages: queries.filter((q) => removed.has(pageOfPassage.get(q.gold[0]!)!)).length,
    flags,
    flagsGoldRemoved: goldRemoved,
    flagsGoldPresent: missedPresent,
    ...scores,
    ...(sweep.length ? { sweep } : {}),
    covered,
    ticketSeconds,
    reportSeconds,
    largestClusters: before.slice(0, 5).map((c) => ({ title: c.title, tickets: c.tickets, page: pointsTo(c.exampleTickets, pageOfTicket), removed: onRemoved(c) })),
  };
  console.log(
    `${domain}: ${flags} flags (${goldRemoved} gold removed); gap clusters ≥${MIN_TICKETS}: ${scores.gaps.clusters}, precision ${pct(scores.gaps.precision)}, recall ${pct(scores.gaps.recall)}; all clusters ≥${MIN_TICKETS}: ${scores.atLeastMin.clusters}, precision ${pct(scores.atLeastMin.precision)}, recall ${pct(scores.atLeastMin.recall)}; covered after re-adding ${covered.coveredOnRemoved}/${covered.clustersOnRemoved} (others ${covered.coveredOther}/${covered.otherClusters})`,
  );
  return result;
}

type DomainResult = Awaited<ReturnType<typeof runDomain>>;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function sum(results: DomainResult[], get: (r: DomainResult) => number) {
  return results.reduce((a, r) => a + get(r), 0);
}

function report(results: DomainResult[], meta: { database: string; date: string; seconds: number; seed: number }): string {
  const totals = (which: 'gaps' | 'atLeastMin' | 'all') => {
    const clusters = sum(results, (r) => r[which].clusters);
    const onRemoved = sum(results, (r) => r[which].clustersOnRemoved);
    const recovered = sum(results, (r) => r[which].recoveredPages);
    const removed = sum(results, (r) => r.removedPages);
    return { clusters, onRemoved, recovered, removed, precision: clusters ? onRemoved / clusters : 0, recall: removed ? recovered / removed : 0 };
  };
  const scoreRows = (which: 'gaps' | 'atLeastMin' | 'all', label: string) => [
    ...results.map(
      (r) =>
        `| ${r.domain} | ${label} | ${r.removedPages} of ${r.pages} | ${r.tickets} | ${r.flags} (${r.flagsGoldRemoved} / ${r.flagsGoldPresent}) | ${r[which].clusters} | ${r[which].recoveredPages} / ${r.removedPages} = **${pct(r[which].recall)}** | ${r[which].clustersOnRemoved} / ${r[which].clusters} = **${pct(r[which].precision)}** |`,
    ),
    (() => {
      const t = totals(which);
      return `| all | ${label} | ${t.removed} | ${sum(results, (r) => r.tickets)} | ${sum(results, (r) => r.flags)} (${sum(results, (r) => r.flagsGoldRemoved)} / ${sum(results, (r) => r.flagsGoldPresent)}) | ${t.clusters} | ${t.recovered} / ${t.removed} = **${pct(t.recall)}** | ${t.onRemoved} / ${t.clusters} = **${pct(t.precision)}** |`;
    })(),
  ];
  return [
    `# KB-gap report on FeedbackQA (${meta.database}, ${meta.date.slice(0, 10)}, ${meta.seconds.toFixed(0)} s, seed ${meta.seed})`,
    '',
    `${REMOVED_PAGES} source pages removed per domain; train questions as tickets; goals: recall ≥ 80%, precision ≥ 80%.`,
    '',
    '| domain | clusters scored | removed pages | tickets | flags (gold removed / gold present) | clusters | recall: removed pages recovered | precision: clusters on a removed page |',
    '|---|---|---|---|---|---|---|---|',
    ...scoreRows('gaps', `likely gaps, ≥ ${MIN_TICKETS} tickets`),
    ...scoreRows('atLeastMin', `all, ≥ ${MIN_TICKETS} tickets`),
    ...scoreRows('all', 'all, any size'),
    '',
    `After the removed pages are added back (clusters of ≥ ${MIN_TICKETS} tickets):`,
    '',
    '| domain | clusters on a removed page now covered | other clusters now covered | report s (before) | tickets s |',
    '|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.domain} | ${r.covered.coveredOnRemoved} / ${r.covered.clustersOnRemoved} | ${r.covered.coveredOther} / ${r.covered.otherClusters} | ${r.reportSeconds.toFixed(1)} | ${r.ticketSeconds.toFixed(0)} |`,
    ),
    `| all | ${sum(results, (r) => r.covered.coveredOnRemoved)} / ${sum(results, (r) => r.covered.clustersOnRemoved)} | ${sum(results, (r) => r.covered.coveredOther)} / ${sum(results, (r) => r.covered.otherClusters)} | | |`,
    '',
  ].join('\n');
}

async function main() {
  const started = performance.now();
  const server = await startBenchServer(kind);
  const results: DomainResult[] = [];
  try {
    for (const domain of DOMAINS) results.push(await runDomain(server, domain));
  } finally {
    await server.close();
  }
  const meta = { database: kind, date: new Date().toISOString(), seconds: (performance.now() - started) / 1000, seed: SEED };
  const md = report(results, meta);
  mkdirSync(RESULTS, { recursive: true });
  const suffix = process.env.BENCH_RESULT_SUFFIX ?? '';
  writeFileSync(join(RESULTS, `kb-gaps${suffix}.json`), JSON.stringify({ ...meta, removedPagesPerDomain: REMOVED_PAGES, minTickets: MIN_TICKETS, results }, null, 2));
  writeFileSync(join(RESULTS, `kb-gaps${suffix}.md`), md);
  console.log(md);
}

await main();
