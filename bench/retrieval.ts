/**
 * Retrieval and reply quality on the shared public data, `/v1/retrieve` and `/v1/suggest` over real
 * HTTP against an in-process Okapi BM25 reference, in one run. Writes bench/results/retrieval.{json,md}.
 *
 *   npm run bench:retrieval            (PGlite; set BENCH_DB=postgres to use DATABASE_URL)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RetrieveResponse, SuggestResponse, TicketContextInput } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import { queryFromTicket } from '../server/retrieval/query';
import { Bm25Reference } from './lib/bm25';
import { FEEDBACKQA_DOMAINS, loadDstc11, loadFeedbackQa, type LabelledQuery } from './lib/data';
import { startBenchServer, loadTenant, post, type BenchServer } from './lib/harness';
import { dedupe, meanMetrics, METRIC_NAMES, rankingMetrics, tokenF1, type RankingMetrics } from './lib/metrics';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const kind = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'pglite';
/** DSTC11 turns used for reply quality (each is a full /v1/suggest call). */
const REPLY_TURNS = Number(process.env.BENCH_REPLY_TURNS ?? 400);

type Row = { dataset: string; system: string; queries: number } & RankingMetrics;

async function evaluate(server: BenchServer, token: string, reference: Bm25Reference, queries: LabelledQuery[], dataset: string, system = '/v1/retrieve'): Promise<Row[]> {
  const ours: RankingMetrics[] = [];
  const ref: RankingMetrics[] = [];
  for (const q of queries) {
    const { results } = await post<RetrieveResponse>(server, token, '/v1/retrieve', { query: q.query, k: 75 });
    ours.push(rankingMetrics(dedupe(results.map((r) => r.articleId)), q.gold));
    ref.push(rankingMetrics(reference.search(q.query, 75), q.gold));
  }
  return [
    { dataset, system: 'BM25 reference', queries: queries.length, ...meanMetrics(ref) },
    { dataset, system, queries: queries.length, ...meanMetrics(ours) },
  ];
}

function table(rows: Row[]): string {
  const head = `| dataset | system | queries | ${METRIC_NAMES.join(' | ')} |\n|---|---|---|${METRIC_NAMES.map(() => '---').join('|')}|`;
  return [head, ...rows.map((r) => `| ${r.dataset} | ${r.system} | ${r.queries} | ${METRIC_NAMES.map((m) => r[m].toFixed(3)).join(' | ')} |`)].join('\n');
}

async function main() {
  const started = performance.now();
  const server = await startBenchServer(kind);
  const rows: Row[] = [];
  const micro: { ours: RankingMetrics[]; ref: RankingMetrics[] } = { ours: [], ref: [] };
  try {
    for (const domain of FEEDBACKQA_DOMAINS) {
      const data = loadFeedbackQa(domain, 'valid');
      const { token } = await loadTenant(server, `fqa-${domain.toLowerCase()}`, data.articles);
      const reference = new Bm25Reference(data.articles);
      const domainRows = await evaluate(server, token, reference, data.queries, `FeedbackQA ${domain} (valid)`);
      rows.push(...domainRows);
      const n = data.queries.length;
      micro.ref.push(...Array(n).fill(domainRows[0]));
      micro.ours.push(...Array(n).fill(domainRows[1]));
      console.log(`${domain}: MRR@8 ref ${domainRows[0]!['MRR@8'].toFixed(3)} ours ${domainRows[1]!['MRR@8'].toFixed(3)}`);
    }
    rows.push({ dataset: 'FeedbackQA micro-average', system: 'BM25 reference', queries: micro.ref.length, ...meanMetrics(micro.ref) });
    rows.push({ dataset: 'FeedbackQA micro-average', system: '/v1/retrieve', queries: micro.ours.length, ...meanMetrics(micro.ours) });

    // DSTC11: the ticket is a whole conversation. Compare querying with all of it, with the latest
    // customer turn, and with the query Loopdesk builds from the ticket context.
    const dstc = loadDstc11();
    const { token } = await loadTenant(server, 'dstc11', dstc.articles);
    const reference = new Bm25Reference(dstc.articles);
    const context = (turn: (typeof dstc.turns)[number]): TicketContextInput => ({ helpdesk: 'zendesk', ticketId: String(turn.index), messages: turn.messages });
    const variants: [string, (t: (typeof dstc.turns)[number]) => string][] = [
      ['whole conversation', (t) => t.messages.map((m) => m.text).join('\n')],
      ['latest customer turn', (t) => t.messages.filter((m) => m.author === 'customer').at(-1)!.text],
      ['built from ticket context', (t) => queryFromTicket({ subject: '', messages: context(t).messages ?? [] })],
    ];
    for (const [name, build] of variants) {
      const queries = dstc.turns.map((t) => ({ id: String(t.index), query: build(t), gold: t.gold }));
      const [ref, ours] = await evaluate(server, token, reference, queries, `DSTC11 dev — ${name}`);
      rows.push(ref!, ours!);
      console.log(`DSTC11 ${name}: recall@8 ours ${ours!['recall@8'].toFixed(3)}`);
    }

    // Reply quality: what /v1/suggest composes for knowledge-seeking turns, against the gold reply.
    const replyTurns = dstc.turns.slice(0, REPLY_TURNS);
    let citations = 0;
    let validCitations = 0;
    const f1: Record<string, number[]> = {};
    const models = new Set<string>();
    for (const turn of replyTurns) {
      const res = await post<SuggestResponse>(server, token, '/v1/suggest', context(turn));
      const given = new Set(res.articles.map((a) => a.n));
      for (const c of res.candidates) {
        models.add(c.model);
        const cited = [...c.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
        citations += cited.length;
        validCitations += cited.filter((n) => given.has(n)).length;
        (f1[c.arm] ??= []).push(tokenF1(c.text, turn.response));
      }
    }
    const reply = {
      turns: replyTurns.length,
      models: [...models],
      validCitationShare: citations ? validCitations / citations : 1,
      tokenF1: Object.fromEntries(Object.entries(f1).map(([arm, v]) => [arm, v.reduce((a, b) => a + b, 0) / v.length])),
    };

    mkdirSync(RESULTS, { recursive: true });
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(join(RESULTS, 'retrieval.json'), JSON.stringify({ database: kind, date: new Date().toISOString(), seconds, rows, reply }, null, 2));
    const md = [
      `# Retrieval and reply quality (${kind}, ${new Date().toISOString().slice(0, 10)}, ${seconds.toFixed(0)} s)`,
      '',
      table(rows),
      '',
      `Reply quality on ${reply.turns} DSTC11 dev knowledge-seeking turns (${reply.models.join(', ')}): valid citations ${(100 * reply.validCitationShare).toFixed(1)}%, token F1 vs gold ${Object.entries(reply.tokenF1)
        .map(([arm, v]) => `arm ${arm} ${v.toFixed(3)}`)
        .join(', ')}.`,
      '',
    ].join('\n');
    writeFileSync(join(RESULTS, 'retrieval.md'), md);
    console.log(md);
  } finally {
    await server.close();
  }
}

await main();
