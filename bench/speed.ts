/**
 * Speed and memory of retrieval and suggestion, each against its raw SQL query alone, on PostgreSQL
 * and PGlite, at the FeedbackQA UK size and at 100k chunks. Writes bench/results/speed.{json,md}.
 *
 *   npm run bench:speed        (BENCH_SIZES=uk,10k,100k; BENCH_DBS=postgres,pglite; BENCH_OUT=file name)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KbArticleInput } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import { upsertArticles } from '../server/kb/store';
import { BM25_SQL } from '../server/retrieval/lexical';
import { createToken, ensureTenant } from '../server/tenancy';
import { FEEDBACKQA_DOMAINS, loadFeedbackQa } from './lib/data';
import { post, startBenchServer, type BenchServer } from './lib/harness';
import { percentile } from './lib/metrics';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const SIZES = (process.env.BENCH_SIZES ?? 'uk,10k,100k').split(',');
const DBS = (process.env.BENCH_DBS ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[];
const QUERIES = 200;
const SUGGESTS = 100;
/** At 100k chunks each query is slow enough that fewer samples keep the run within minutes. */
const LARGE_QUERIES = 50;
const LARGE_SUGGESTS = 25;
/** The 100k-chunk KB on PostgreSQL is built once and kept in this schema (drop it to rebuild). */
const KEPT_SCHEMA = 'bench_speed_100k';
/** Synthetic KB sizes by name; "uk" is the real FeedbackQA UK knowledge base. */
const SYNTHETIC_SIZES: Record<string, number> = { '10k': 10_000, '100k': 100_000 };
for (const size of SIZES) {
  if (size !== 'uk' && !(size in SYNTHETIC_SIZES)) throw new Error(`BENCH_SIZES: unknown size "${size}" (uk, ${Object.keys(SYNTHETIC_SIZES).join(', ')})`);
}

/** Results file name, so that partial runs (one database, one size) can be kept side by side. */
const OUT = process.env.BENCH_OUT ?? 'speed';

/** Deterministic pseudo-random numbers, so every run builds the same synthetic KB. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/**
 * 100k single-chunk articles made of real help-centre sentences (all FeedbackQA domains), recombined:
 * realistic vocabulary and lengths, without holding more than one batch in memory.
 */
function* syntheticArticles(total: number): Generator<KbArticleInput[]> {
  const sentences: string[] = [];
  const titles: string[] = [];
  for (const domain of FEEDBACKQA_DOMAINS) {
    for (const a of loadFeedbackQa(domain, 'train').articles) {
      titles.push(a.title);
      sentences.push(...a.body.split(/(?<=[.!?])\s+/).filter((s) => s.split(' ').length > 4));
    }
  }
  const random = prng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  for (let start = 0; start < total; start += 500) {
    const batch: KbArticleInput[] = [];
    for (let i = start; i < Math.min(total, start + 500); i++) {
      const body = Array.from({ length: 4 + Math.floor(random() * 6) }, () => pick(sentences)).join(' ');
      batch.push({ id: `syn-${i}`, title: `${pick(titles)} (${i})`, body });
    }
    yield batch;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const summary = (xs: number[]) => ({ p50: +percentile(xs, 50).toFixed(2), p95: +percentile(xs, 95).toFixed(2) });

interface Row {
  database: string;
  size: string;
  chunks: number;
  importSeconds: number;
  retrieve: { p50: number; p95: number };
  rawSql: { p50: number; p95: number };
  ratioP50: number;
  suggest: { p50: number; p95: number };
}

async function measure(server: BenchServer, tenantId: string, token: string, allQueries: string[], size: string, chunks: number, importSeconds: number): Promise<Row> {
  const large = size === '100k';
  const queries = allQueries.slice(0, large ? LARGE_QUERIES : QUERIES);
  const suggests = large ? LARGE_SUGGESTS : SUGGESTS;
  // Warm caches and plans first, as a running server would be.
  for (const q of queries.slice(0, 10)) await post(server, token, '/v1/retrieve', { query: q, k: 75 });
  const raw: number[] = [];
  const api: number[] = [];
  for (const q of queries) {
    raw.push(await timed(() => server.database.query(BM25_SQL, [tenantId, q, 75])));
    api.push(await timed(() => post(server, token, '/v1/retrieve', { query: q, k: 75 })));
  }
  const suggest: number[] = [];
  for (const q of queries.slice(0, suggests)) {
    suggest.push(
      await timed(() =>
        post(server, token, '/v1/suggest', {
          helpdesk: 'zendesk',
          ticketId: 'bench',
          subject: '',
          messages: [{ author: 'customer', text: `Hello,\n${q}\nThanks,\nSam` }],
        }),
      ),
    );
  }
  const r = summary(api);
  const s = summary(raw);
  return { database: server.kind, size, chunks, importSeconds, retrieve: r, rawSql: s, ratioP50: +(r.p50 / s.p50).toFixed(2), suggest: summary(suggest) };
}

/** Peak and current RSS of a separate `loopdesk serve` process while it answers queries. */
async function serverRss(env: NodeJS.ProcessEnv, token: string, queries: string[]): Promise<{ rssMb: number; peakMb: number }> {
  const child = spawn(process.execPath, ['bin/loopdesk.mjs', 'serve'], { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  for (const q of queries) {
    await fetch(`${url}/v1/suggest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ helpdesk: 'zendesk', ticketId: 'm', subject: q, messages: [] }),
    });
  }
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return { rssMb: Math.round(kb('VmRSS')), peakMb: Math.round(kb('VmHWM')) };
}

async function main() {
  const rows: Row[] = [];
  let memory: { database: string; chunks: number; rssMb: number; peakMb: number } | null = null;
  const uk = loadFeedbackQa('UK', 'valid');
  const queries = uk.queries.slice(0, QUERIES).map((q) => q.query);
  for (const kind of DBS) {
    for (const size of SIZES) {
      const server = await startBenchServer(kind, kind === 'postgres' && size === '100k' ? { keepSchema: KEPT_SCHEMA } : {});
      try {
        const tenantId = await ensureTenant(server.database.db, `speed-${size}`);
        const started = performance.now();
        const [built] = await server.database.query<{ chunks: number }>('select chunks from kb_stats where tenant_id = $1', [tenantId]);
        const synthetic = SYNTHETIC_SIZES[size] ?? 0;
        const reused = size === '100k' && synthetic > 0 && (built?.chunks ?? 0) >= synthetic;
        if (reused) {
          console.log(`  ${kind}: reusing the ${built!.chunks}-chunk KB in schema ${KEPT_SCHEMA}`);
        } else if (size === 'uk') {
          for (let i = 0; i < uk.articles.length; i += 200) await upsertArticles(server.database.db, tenantId, uk.articles.slice(i, i + 200));
        } else {
          let n = 0;
          for (const batch of syntheticArticles(synthetic)) {
            await upsertArticles(server.database.db, tenantId, batch);
            n += batch.length;
            if (n % 10_000 === 0) console.log(`  ${kind}: ${n} articles imported`);
          }
        }
        const importSeconds = reused ? Number.NaN : +((performance.now() - started) / 1000).toFixed(1);
        const [{ chunks }] = (await server.database.query<{ chunks: number }>('select chunks from kb_stats where tenant_id = $1', [tenantId])) as [{ chunks: number }];
        const token = await createToken(server.database.db, { tenant: `speed-${size}`, team: 'bench', name: 'bench', role: 'agent' });
        const row = await measure(server, tenantId, token, queries, size, chunks, importSeconds);
        rows.push(row);
        console.log(JSON.stringify(row));
        write(rows, memory);
        if (kind === 'postgres' && size === '100k') {
          // The goal is about a server serving this KB; measure one on its own, against the same schema.
          const schema = (await server.database.query<{ s: string }>('select current_schema() as s'))[0]!.s;
          const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
          url.searchParams.set('options', `-c search_path=${schema}`);
          memory = { database: 'postgres', chunks, ...(await serverRss({ DATABASE_URL: url.toString() }, token, queries.slice(0, LARGE_SUGGESTS))) };
          console.log(JSON.stringify(memory));
          write(rows, memory);
        }
      } finally {
        await server.close();
      }
    }
  }
  console.log(write(rows, memory));
}

/** Writes what has been measured so far, so an interrupted run still leaves its rows. */
function write(rows: Row[], memory: { database: string; chunks: number; rssMb: number; peakMb: number } | null): string {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${OUT}.json`), JSON.stringify({ date: new Date().toISOString(), rows, memory }, null, 2));
  const md = [
    `# Retrieval and suggestion speed (${new Date().toISOString().slice(0, 10)}, ms over real HTTP, k = 75, extractive generator)`,
    '',
    '| database | KB | chunks | import s | /v1/retrieve p50 / p95 | raw SQL p50 / p95 | retrieve ÷ raw (p50) | /v1/suggest p50 / p95 |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.database} | ${r.size} | ${r.chunks} | ${Number.isFinite(r.importSeconds) ? r.importSeconds : 'kept from an earlier run'} | ${r.retrieve.p50} / ${r.retrieve.p95} | ${r.rawSql.p50} / ${r.rawSql.p95} | ${r.ratioP50}× | ${r.suggest.p50} / ${r.suggest.p95} |`,
    ),
    '',
    memory ? `Server RSS while serving ${memory.chunks} chunks on ${memory.database}: ${memory.rssMb} MB (peak ${memory.peakMb} MB).` : '',
    '',
  ].join('\n');
  writeFileSync(join(RESULTS, `${OUT}.md`), md);
  return md;
}

await main();
