/**
 * Issue 6's cycle-time goal: one `loopdesk flywheel run` over ~100,000 annotations in at most 60 s
 * and 1 GB peak RSS. Writes bench/results/flywheel-cycle.{json,md}.
 *
 *   npm run bench:flywheel-cycle     (PGlite; BENCH_DB=postgres uses DATABASE_URL)
 *
 * One tenant's KB holds the passages of all four FeedbackQA domains (ids prefixed by domain); each
 * train question (only the train split: valid and test are reserved) is a ticket, suggested once
 * through the real `/v1/suggest`. BENCH_CYCLE_AGENTS simulated agents (default 3) each label every
 * one of the ticket's shown articles (relevant when it is the question's gold passage, flipped with
 * probability BENCH_NOISE, default 0.05), and the first agent adopts the first candidate, edited.
 * Events go through the real `/v1/events`, up to 1,000 per call. Then the server is closed and the
 * cycle runs as a user runs it: `loopdesk flywheel run --tenant …` as a child process on the same
 * PGlite directory or PostgreSQL schema, its wall time and peak RSS measured from outside
 * (/usr/bin/time's maximum resident set size when present, else polling /proc/<pid>/status VmHWM).
 *
 * BENCH_CYCLE_KEEP=1 keeps the populated database (PGlite: /tmp/loopdesk-cycle-pglite, copied
 * before each run so that every run starts from the same state; PostgreSQL: schema
 * bench_cycle_keep) and reuses it on the next run, so only the cycle is measured again.
 * BENCH_CYCLE_LIMIT caps the tickets per domain (smoke runs). BENCH_CYCLE_RUNS repeats the cycle.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { KbArticleInput, SuggestResponse } from '../lib/contract';
import { seededRandom } from '../lib/random';
import { PROJECT_ROOT } from '../server/config';
import { openDatabase } from '../server/db/client';
import { startServer } from '../server/serve';
import { createToken, ensureTenant } from '../server/tenancy';
import { FEEDBACKQA_DOMAINS, loadFeedbackQa, type LabelledQuery } from './lib/data';
import { loadTenant, post } from './lib/harness';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const kind = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'pglite';
const AGENTS = Number(process.env.BENCH_CYCLE_AGENTS ?? 3);
const NOISE = Number(process.env.BENCH_NOISE ?? 0.05);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const LIMIT = Number(process.env.BENCH_CYCLE_LIMIT ?? Infinity);
const KEEP = process.env.BENCH_CYCLE_KEEP === '1';
const RUNS = Number(process.env.BENCH_CYCLE_RUNS ?? 1);
const SUFFIX = process.env.BENCH_RESULT_SUFFIX ?? '';
const TENANT = 'fqa-cycle';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEPT_DIR = join(tmpdir(), 'loopdesk-cycle-pglite');
const KEPT_SCHEMA = 'bench_cycle_keep';
/** The goal of issue 6. */
const GOAL = { seconds: 60, rssMb: 1024 };

interface Ticket extends LabelledQuery {
  domain: string;
}

interface Population {
  tickets: number;
  suggestions: number;
  articles: number;
  relevanceEvents: number;
  adoptionEvents: number;
  goldShown: number;
  seconds: number;
}

/** Where the cycle's process finds the database. */
interface Target {
  env: Record<string, string>;
  dataDir?: string;
  schema?: string;
}

function corpus(): { articles: KbArticleInput[]; tickets: Ticket[] } {
  const articles: KbArticleInput[] = [];
  const tickets: Ticket[] = [];
  for (const domain of FEEDBACKQA_DOMAINS) {
    const train = loadFeedbackQa(domain, 'train');
    articles.push(...train.articles.map((a) => ({ ...a, id: `${domain}-${a.id}` })));
    for (const q of train.queries.slice(0, LIMIT)) tickets.push({ ...q, id: `${domain}-${q.id}`, gold: q.gold.map((g) => `${domain}-${g}`), domain });
  }
  return { articles, tickets };
}

/** Suggests every ticket once and has the agents annotate it, through the server's API. */
async function populate(target: Target): Promise<Population> {
  const started = performance.now();
  const { articles, tickets } = corpus();
  const server = await startServer(
    { host: '127.0.0.1', port: 0, dataDir: target.dataDir ?? mkdtempSync(join(tmpdir(), 'loopdesk-cycle-unused-')), databaseUrl: target.schema ? DATABASE_URL : undefined },
    { pgSchema: target.schema },
  );
  try {
    const { token } = await loadTenant(server, TENANT, articles);
    const agents = [token];
    for (let i = 1; i < AGENTS; i++) agents.push(await createToken(server.database.db, { tenant: TENANT, team: 'bench', name: `bench-agent-${i}`, role: 'agent' }));
    const rand = seededRandom(SEED);
    const queues: unknown[][] = agents.map(() => []);
    const flush = async (a: number, min: number) => {
      while (queues[a]!.length >= min && queues[a]!.length > 0) await post(server, agents[a]!, '/v1/events', { events: queues[a]!.splice(0, 1_000) });
    };
    // Label times increase so that "each agent's latest label" is well defined.
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const at = () => new Date((clock += 1_000)).toISOString();
    let relevanceEvents = 0;
    let adoptionEvents = 0;
    let goldShown = 0;
    for (const [i, q] of tickets.entries()) {
      const ticketId = `train-${q.id}`;
      const res = await post<SuggestResponse>(server, token, '/v1/suggest', {
        helpdesk: 'zendesk',
        ticketId,
        subject: '',
        messages: [{ author: 'customer', text: q.query }],
      });
      if (res.articles.some((a) => q.gold.includes(a.articleId))) goldShown++;
      const common = { schemaVersion: 1, helpdesk: 'zendesk', ticketId, suggestionId: res.suggestionId, experiment: null, clientVersion: 'bench-cycle' };
      for (let a = 0; a < agents.length; a++) {
        for (const article of res.articles) {
          const truth = q.gold.includes(article.articleId);
          const flipped = rand() < NOISE;
          queues[a]!.push({
            ...common,
            id: uuidv7(),
            type: 'knowledge.relevance',
            createdAt: at(),
            articleId: article.articleId,
            chunkId: article.chunkId,
            rank: article.rank,
            label: truth !== flipped ? 'relevant' : 'irrelevant',
          });
          relevanceEvents++;
        }
      }
      const candidate = res.candidates[0];
      if (candidate?.text.trim()) {
        queues[0]!.push({
          ...common,
          id: uuidv7(),
          type: 'adoption',
          createdAt: at(),
          candidateId: candidate.id,
          insertMethod: 'insert',
          outcome: 'edited',
          similarity: 0.9,
          editDistance: 12,
          timeToSendMs: 30_000,
          sendPath: 'button',
          finalText: `Hello, ${candidate.text}\nKind regards`,
        });
        adoptionEvents++;
      }
      for (let a = 0; a < agents.length; a++) await flush(a, 1_000);
      if ((i + 1) % 500 === 0) console.log(`  suggested and annotated ${i + 1}/${tickets.length} tickets (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    for (let a = 0; a < agents.length; a++) await flush(a, 1);
    const [count] = await server.database.query<{ n: number }>(`select count(*)::int as n from events`);
    console.log(`  ${count!.n} events stored`);
    return { tickets: tickets.length, suggestions: tickets.length, articles: articles.length, relevanceEvents, adoptionEvents, goldShown, seconds: (performance.now() - started) / 1000 };
  } finally {
    await server.close();
  }
}

interface Cycle {
  seconds: number;
  /** User + system CPU seconds of the process and its children (less sensitive to a busy machine than wall time). */
  cpuSeconds: number | null;
  /** The machine's 1-minute load average as the run ended (2 cores: above 2, runs wait for a core). */
  load: number;
  peakRssMb: number;
  /** How the peak was measured. */
  rssSource: string;
  stages: Record<string, number>;
  stdout: string;
}

/** `loopdesk flywheel run` in a child process, timed and its peak RSS measured from outside. */
async function runCycle(target: Target): Promise<Cycle> {
  const loopdesk = join(PROJECT_ROOT, 'bin', 'loopdesk.mjs');
  const timeFile = join(tmpdir(), `loopdesk-cycle-time-${process.pid}.txt`);
  const useTime = existsSync('/usr/bin/time');
  const [cmd, args] = useTime
    ? ['/usr/bin/time', ['-f', '%e %M %U %S', '-o', timeFile, process.execPath, loopdesk, 'flywheel', 'run', '--tenant', TENANT]]
    : [process.execPath, [loopdesk, 'flywheel', 'run', '--tenant', TENANT]];
  const env = { ...process.env, ...target.env };
  const t0 = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: PROJECT_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  // Polled as well: the node process's own high-water mark (the child of /usr/bin/time when used).
  let hwmKb = 0;
  const poll = setInterval(() => {
    for (const pid of [child.pid!, ...childrenOf(child.pid!)]) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        // exited
      }
    }
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`loopdesk flywheel run exited with ${code}:\n${stdout}\n${stderr}`);
  let peakRssMb = hwmKb / 1024;
  let rssSource = 'VmHWM polled every 100 ms';
  let cpuSeconds: number | null = null;
  if (useTime) {
    const [, maxKb, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ');
    rmSync(timeFile, { force: true });
    peakRssMb = Number(maxKb) / 1024;
    cpuSeconds = Number(user) + Number(sys);
    rssSource = '/usr/bin/time maximum resident set size';
  }
  const stages: Record<string, number> = {};
  const line = stderr.split('\n').find((l) => l.startsWith('stages: '));
  for (const part of line?.slice('stages: '.length).split(', ') ?? []) {
    const [stage, s] = part.split(' ');
    stages[stage!] = Number(s);
  }
  console.log(stdout.trim());
  return { seconds, cpuSeconds, peakRssMb, rssSource, stages, stdout, load: loadavg()[0]! };
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Drops the tenant's models so that every cycle starts from retrieval without a learned model. */
async function resetModels(target: Target) {
  const database = await openDatabase({ databaseUrl: target.schema ? DATABASE_URL : undefined, dataDir: target.dataDir, pgSchema: target.schema });
  try {
    const tenantId = await ensureTenant(database.db, TENANT);
    await database.query(`delete from models where tenant_id = $1`, [tenantId]);
  } finally {
    await database.close();
  }
}

async function dropSchema(schema: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

async function main() {
  const started = performance.now();
  let population: Population | null = null;
  let built: Target;
  if (kind === 'pglite') {
    const dir = KEEP ? KEPT_DIR : mkdtempSync(join(tmpdir(), 'loopdesk-cycle-'));
    built = { dataDir: dir, env: {} };
    const marker = join(dir, 'population.json');
    if (KEEP && existsSync(marker)) population = JSON.parse(readFileSync(marker, 'utf8')) as Population;
    else {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      population = await populate(built);
      writeFileSync(marker, JSON.stringify(population));
    }
  } else {
    const schema = KEEP ? KEPT_SCHEMA : `bench_cycle_${process.pid}`;
    built = { schema, env: {} };
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    const [row] = (await client.query(`select to_regclass($1) as t`, [`${schema}.bench_population`])).rows as { t: string | null }[];
    if (KEEP && row?.t) population = (await client.query(`select data from ${schema}.bench_population`)).rows[0].data as Population;
    await client.end();
    if (!population) {
      await dropSchema(schema);
      population = await populate(built);
      const again = new pg.Client({ connectionString: DATABASE_URL });
      await again.connect();
      await again.query(`create table ${schema}.bench_population (data jsonb)`);
      await again.query(`insert into ${schema}.bench_population values ($1)`, [JSON.stringify(population)]);
      await again.end();
    }
  }
  console.log(`population: ${JSON.stringify(population)}`);

  const cycles: Cycle[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      let target: Target;
      let scratch: string | null = null;
      if (kind === 'pglite') {
        // A copy, so that the kept directory stays as populated.
        scratch = mkdtempSync(join(tmpdir(), 'loopdesk-cycle-run-'));
        cpSync(built.dataDir!, scratch, { recursive: true });
        target = { dataDir: scratch, env: { LOOPDESK_DATA_DIR: scratch, DATABASE_URL: '' } };
      } else {
        target = { schema: built.schema, env: { DATABASE_URL, PGOPTIONS: `-c search_path=${built.schema}` } };
      }
      await resetModels(target);
      try {
        const cycle = await runCycle(target);
        console.log(`cycle ${run + 1}: ${cycle.seconds.toFixed(1)} s, peak RSS ${cycle.peakRssMb.toFixed(0)} MB; ${JSON.stringify(cycle.stages)}`);
        cycles.push(cycle);
      } finally {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
      }
    }
  } finally {
    if (!KEEP) {
      if (built.dataDir) rmSync(built.dataDir, { recursive: true, force: true });
      if (built.schema) await dropSchema(built.schema);
    }
  }
  const result = {
    database: kind,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', memoryGb: totalmem() / 2 ** 30, node: process.version },
    agents: AGENTS,
    noise: NOISE,
    seed: SEED,
    goal: GOAL,
    population,
    cycles: cycles.map(({ stdout, ...c }) => ({ ...c, output: stdout.trim().split('\n') })),
    env: { LOOPDESK_WASM_OPTIMIZE: process.env.LOOPDESK_WASM_OPTIMIZE ?? null },
    seconds: (performance.now() - started) / 1000,
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `flywheel-cycle${SUFFIX}.json`);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const all = { ...previous, [kind]: result } as Record<string, typeof result>;
  writeFileSync(file, JSON.stringify(all, null, 2));
  const md = report(all);
  writeFileSync(join(RESULTS, `flywheel-cycle${SUFFIX}.md`), md);
  console.log(md);
}

type Result = {
  database: string;
  date: string;
  machine: { cpus: number; cpu: string; memoryGb: number; node: string };
  agents: number;
  noise: number;
  population: Population | null;
  cycles: (Omit<Cycle, 'stdout'> & { output: string[] })[];
};

/** One table over the databases measured (each run of the bench replaces its own database's entry). */
function report(all: Record<string, Result>): string {
  const results = Object.values(all);
  const stages = [...new Set(results.flatMap((r) => r.cycles.flatMap((c) => Object.keys(c.stages))))];
  const first = results[0]!;
  const p = first.population!;
  const lines = [
    `# Flywheel cycle at 100,000 annotations (${results.map((r) => `${r.database} ${r.date.slice(0, 10)}`).join(', ')})`,
    '',
    `Goal (issue 6): one \`loopdesk flywheel run\` ≤ ${GOAL.seconds} s and ≤ ${GOAL.rssMb} MB peak RSS. Machine: ${first.machine.cpus} × ${first.machine.cpu}, ${first.machine.memoryGb.toFixed(0)} GB, Node ${first.machine.node}.`,
    '',
    `One tenant: ${p.articles} KB articles (all four FeedbackQA domains), ${p.tickets} train tickets each suggested once through \`/v1/suggest\` (gold passage shown in the top 8 for ${p.goldShown}), ` +
      `${first.agents} agents labelling every shown article (${(first.noise * 100).toFixed(0)}% of labels flipped): ${p.relevanceEvents} \`knowledge.relevance\` events and ${p.adoptionEvents} adoptions through \`/v1/events\`.`,
    '',
    `| database | run | wall s | CPU s | load | peak RSS MB | ${stages.join(' s | ')} s | goal met |`,
    `|---|---|---|---|---|---|${stages.map(() => '---').join('|')}|---|`,
    ...results.flatMap((r) =>
      r.cycles.map(
        (c, i) =>
          `| ${r.database} | ${i + 1} | ${c.seconds.toFixed(1)} | ${c.cpuSeconds?.toFixed(1) ?? '—'} | ${c.load?.toFixed(1) ?? '—'} | ${c.peakRssMb.toFixed(0)} | ${stages.map((s) => (c.stages[s] === undefined ? '—' : c.stages[s]!.toFixed(1))).join(' | ')} | ${c.seconds <= GOAL.seconds && c.peakRssMb <= GOAL.rssMb ? 'yes' : 'no'} |`,
      ),
    ),
    '',
    'Wall time is the child process from spawn to exit (including Node start-up, opening the database and the migrations check); ' +
      `peak RSS is ${first.cycles[0]?.rssSource ?? 'measured from outside'}. Stage seconds are the CLI's own (\`stages:\` on stderr).`,
    '',
    ...results.flatMap((r) => [`${r.database}, last run's output:`, '', '```', ...(r.cycles.at(-1)?.output ?? []), '```', '']),
  ];
  return lines.join('\n');
}

await main();
