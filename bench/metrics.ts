/**
 * Experiment metrics at scale: one experiment with three arms and BENCH_EVENTS annotation events
 * over 30 days (shown, preference, adoption, relevance, missing in realistic proportions, from the
 * seeded generator in server/experiments/demo-events.ts), loaded by COPY into a kept PostgreSQL
 * schema (reruns reuse it), VACUUM ANALYZEd; then the dashboard's request,
 * `GET /v1/admin/experiments/:key/metrics`, timed BENCH_RUNS times over HTTP after one warm-up,
 * for the whole experiment by day and for its last 7 days by hour. PGlite gets the same at
 * BENCH_PGLITE_EVENTS, loaded through the multi-row insert the demo seed uses.
 * Writes bench/results/metrics.{json,md}.
 *
 *   npm run bench:metrics        (BENCH_EVENTS=1000000 BENCH_PGLITE_EVENTS=1000000 BENCH_RUNS=10)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ExperimentMetrics, type AnnotationEvent } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import { generateExperimentEvents, seedDemoExperimentEvents, type ExperimentEventOptions } from '../server/experiments/demo-events';
import { createToken, ensureTenant } from '../server/tenancy';
import { startBenchServer, type BenchServer } from './lib/harness';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PGLITE_EVENTS = Number(process.env.BENCH_PGLITE_EVENTS ?? EVENTS);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const DAYS = 30;
const KEY = 'reply-recipes';
const ARMS = ['baseline', 'rerank-v2', 'long-context'];
const TENANT = 'metrics-bench';
const TEAM_ID = '00000000-0000-4000-8000-00000000000b';
/** A fixed end, so that reruns generate the same events and the kept schema stays valid. */
const END = new Date('2026-11-30T23:59:59Z');

/** The generator's options for about `events` events over DAYS days (it yields ~3.2 per suggestion). */
function generatorOptions(events: number): ExperimentEventOptions {
  let sample = 0;
  for (const _ of generateExperimentEvents({ experimentKey: KEY, arms: ARMS, days: 1, perDay: 5_000, end: END, seed: 11 })) sample++;
  // A little more than needed per day; the stream is cut at exactly `events`.
  const perDay = Math.ceil((events / DAYS / (sample / 5_000)) * 1.01);
  return { experimentKey: KEY, arms: ARMS, days: DAYS, perDay, end: END, seed: 42 };
}

function* firstEvents(events: number): Generator<AnnotationEvent> {
  let count = 0;
  for (const event of generateExperimentEvents(generatorOptions(events))) {
    if (count++ >= events) return;
    yield event;
  }
}

/** What `/v1/events` would store for each event, as CSV lines for COPY. */
function* csvLines(events: Iterable<AnnotationEvent>, tenantId: string): Generator<string> {
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  let lines: string[] = [];
  for (const e of events) {
    lines.push(
      [
        e.id,
        tenantId,
        TEAM_ID,
        e.agentId,
        e.type,
        e.helpdesk,
        quote(e.ticketId),
        e.suggestionId,
        quote(e.experiment!.key),
        quote(e.experiment!.arm),
        quote(JSON.stringify({ ...e, tenantId })),
        e.createdAt,
        e.createdAt,
      ].join(',') + '\n',
    );
    // Larger writes keep COPY from spending its time on tiny stream chunks.
    if (lines.length === 2_000) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length) yield lines.join('');
}

async function storedEvents(server: BenchServer, tenantId: string): Promise<number> {
  const [row] = await server.database.query<{ n: number }>(
    'select count(*)::int as n from events where tenant_id = $1::uuid and experiment_key = $2',
    [tenantId, KEY],
  );
  return row!.n;
}

async function load(server: BenchServer, tenantId: string, events: number, schema: string | null): Promise<{ seconds: number; reused: boolean }> {
  if ((await storedEvents(server, tenantId)) === events) {
    // A kept schema migrated since its load has counts backfilled but never vacuumed; autovacuum
    // would get there, the bench does not wait for it.
    await server.database.query('vacuum analyze experiment_suggestions, experiment_metric_hours, experiment_adoption_times');
    return { seconds: 0, reused: true };
  }
  await server.database.query('delete from events where tenant_id = $1::uuid', [tenantId]);
  // The counts kept at ingest (migration 0009) follow inserts only; events are never deleted but here.
  for (const table of ['experiment_suggestions', 'experiment_metric_hours', 'experiment_adoption_times']) {
    await server.database.query(`delete from ${table} where tenant_id = $1::uuid`, [tenantId]);
  }
  const started = performance.now();
  if (server.kind === 'postgres') {
    const client = new pg.Client({
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      options: `-c search_path=${schema}`,
    });
    await client.connect();
    await pipeline(
      Readable.from(csvLines(firstEvents(events), tenantId)),
      client.query(
        copyFrom(
          'copy events (id, tenant_id, team_id, agent_id, type, helpdesk, ticket_id, suggestion_id, experiment_key, experiment_arm, payload, client_created_at, received_at) from stdin with (format csv)',
        ),
      ),
    );
    await client.end();
  } else {
    // PGlite has no COPY from a client stream; the demo seed's multi-row insert is what it would use.
    const options = generatorOptions(events);
    // The first `events` of the stream, the same events COPY loads into PostgreSQL.
    await seedDemoExperimentEvents(server.database, tenantId, { ...options, teamId: TEAM_ID, limit: events });
  }
  const seconds = (performance.now() - started) / 1000;
  await server.database.query('vacuum analyze events, experiment_suggestions, experiment_metric_hours, experiment_adoption_times');
  return { seconds, reused: false };
}

function percentile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

async function time(server: BenchServer, token: string, query: string) {
  const request = async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/admin/experiments/${KEY}/metrics?${query}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`metrics answered ${res.status}: ${await res.text()}`);
    const body = ExperimentMetrics.parse(await res.json());
    return { ms: performance.now() - started, body };
  };
  const warm = await request();
  const runs: number[] = [];
  const computed: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, body } = await request();
    runs.push(ms);
    computed.push(body.computedMs);
  }
  runs.sort((a, b) => a - b);
  computed.sort((a, b) => a - b);
  return {
    query,
    runs: RUNS,
    p50Ms: +percentile(runs, 0.5).toFixed(1),
    p95Ms: +percentile(runs, 0.95).toFixed(1),
    computedP50Ms: +percentile(computed, 0.5).toFixed(1),
    exposures: warm.body.arms.reduce((n, a) => n + a.exposures, 0),
    seriesPoints: warm.body.series.length,
    arms: warm.body.arms.map((a) => ({
      arm: a.arm,
      exposures: a.exposures,
      adopted: a.adoption.adopted.rate,
      preferenceWins: a.preferenceWins.rate,
      bradleyTerry: a.bradleyTerry,
    })),
  };
}

function describeQuery(query: string): string {
  if (query.startsWith('bucket=day')) return 'all 30 days, by day';
  const from = decodeURIComponent(query.slice(query.indexOf('from=') + 5));
  return from.endsWith('T00:00:00.000Z') ? 'last 7 days from midnight, by hour' : `last 7 days from ${from.slice(11, 19)}, by hour (read from the events)`;
}

async function bench(kind: 'postgres' | 'pglite', events: number) {
  const schema = kind === 'postgres' ? `bench_metrics_${events}` : null;
  const server = await startBenchServer(kind, schema ? { keepSchema: schema } : {});
  try {
    const tenantId = await ensureTenant(server.database.db, TENANT);
    const loaded = await load(server, tenantId, events, schema);
    console.log(`${kind}: ${events} events ${loaded.reused ? 'already loaded' : `loaded in ${loaded.seconds.toFixed(1)} s`}`);
    const token = await createToken(server.database.db, { tenant: TENANT, team: 'leads', name: `lead-${Date.now()}`, role: 'lead' });
    // The dashboard asks for whole UTC days; a window that cuts through an hour is read from the events.
    const lastWeekDays = new Date(Math.ceil(END.getTime() / 86_400_000) * 86_400_000 - 7 * 86_400_000).toISOString();
    const lastWeek = new Date(END.getTime() - 7 * 86_400_000).toISOString();
    const queries = [
      await time(server, token, 'bucket=day'),
      await time(server, token, `bucket=hour&from=${encodeURIComponent(lastWeekDays)}`),
      await time(server, token, `bucket=hour&from=${encodeURIComponent(lastWeek)}`),
    ];
    const [{ bytes }] = (await server.database.query<{ bytes: string }>("select pg_total_relation_size('events')::text as bytes")) as [{ bytes: string }];
    return { database: kind, events, loadSeconds: loaded.reused ? null : +loaded.seconds.toFixed(1), tableMb: Math.round(Number(bytes) / 1e6), queries };
  } finally {
    await server.close();
  }
}

const rows = [];
for (const [kind, events] of [
  ['postgres', EVENTS],
  ['pglite', PGLITE_EVENTS],
] as const) {
  if (events <= 0) continue;
  const row = await bench(kind, events);
  rows.push(row);
  console.log(JSON.stringify(row));
}
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'metrics.json'), JSON.stringify({ date: new Date().toISOString(), days: DAYS, arms: ARMS, runs: RUNS, rows }, null, 2));
const md = [
  `# Experiment metrics (${new Date().toISOString().slice(0, 10)}, one experiment, ${ARMS.length} arms, ${DAYS} days, ${RUNS} runs after a warm-up)`,
  '',
  'One dashboard load: `GET /v1/admin/experiments/:key/metrics` over HTTP, all arms and the series.',
  '',
  '| database | events | table + indexes | request | p50 (ms) | p95 (ms) | series points |',
  '|---|---|---|---|---|---|---|',
  ...rows.flatMap((r) =>
    r.queries.map(
      (q) =>
        `| ${r.database} | ${r.events.toLocaleString('en')} | ${r.tableMb} MB | ${describeQuery(q.query)} | ${q.p50Ms} | ${q.p95Ms} | ${q.seriesPoints} |`,
    ),
  ),
  '',
  'Goal: p50 and p95 ≤ 500 ms at 1,000,000 events on PostgreSQL.',
  '',
].join('\n');
writeFileSync(join(RESULTS, 'metrics.md'), md);
console.log(md);
