/**
 * `/v1/events` ingest throughput (HTTP, validation, duplicate detection and all) against a raw
 * `COPY` of the same rows into a table with the same indexes, in the same run, on PostgreSQL; and
 * the HTTP figure on PGlite. Writes bench/results/ingest.{json,md}.
 *
 *   npm run bench:ingest        (BENCH_EVENTS=60000)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AnnotationEvent, EVENT_TYPES, MAX_EVENTS_PER_BATCH, type EventBatchResponse } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import { createToken } from '../server/tenancy';
import { sampleEvent } from '../tests/support/events';
import { post, startBenchServer } from './lib/harness';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 60_000);
const SUGGESTION_ID = '0195f1a2-0000-4000-8000-0000000000aa';
/** Clients sending at once: one agent's outbox sends batches one by one; a server serves many agents. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

function makeEvents(n: number): AnnotationEvent[] {
  return Array.from({ length: n }, (_, i) => AnnotationEvent.parse(sampleEvent(EVENT_TYPES[i % EVENT_TYPES.length]!, SUGGESTION_ID)));
}

/** What the server would store for each event, as CSV for COPY. */
function csvRows(events: AnnotationEvent[], who: { tenantId: string; teamId: string; agentId: string }): string[] {
  const q = (v: string | null) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`);
  return events.map((e) =>
    [
      e.id,
      who.tenantId,
      who.teamId,
      who.agentId,
      e.type,
      e.helpdesk,
      q(e.ticketId),
      e.suggestionId,
      q(e.experiment?.key ?? null),
      q(e.experiment?.arm ?? null),
      q(JSON.stringify({ ...e, tenantId: who.tenantId, agentId: who.agentId })),
      e.createdAt,
    ].join(',') + '\n',
  );
}

async function httpIngest(kind: 'postgres' | 'pglite', events: AnnotationEvent[]) {
  const server = await startBenchServer(kind);
  try {
    const token = await createToken(server.database.db, { tenant: 'ingest', team: 'bench', name: 'bench', role: 'agent' });
    // Warm up plans and connections on a separate batch.
    await post<EventBatchResponse>(server, token, '/v1/events', { events: makeEvents(100) });
    const batches: AnnotationEvent[][] = [];
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_BATCH) batches.push(events.slice(i, i + MAX_EVENTS_PER_BATCH));
    const send = async (batch: AnnotationEvent[]) => {
      const { results } = await post<EventBatchResponse>(server, token, '/v1/events', { events: batch });
      if (results.some((r) => r.status !== 'accepted')) throw new Error('an event was not accepted');
    };
    const half = Math.floor(batches.length / 2);
    // First half one batch at a time (one agent's outbox), second half from CONCURRENCY clients.
    let started = performance.now();
    for (const batch of batches.slice(0, half)) await send(batch);
    const sequentialSeconds = (performance.now() - started) / 1000;
    const sequentialEvents = batches.slice(0, half).reduce((n, b) => n + b.length, 0);
    started = performance.now();
    const queue = batches.slice(half);
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) await send(batch);
    }));
    const concurrentSeconds = (performance.now() - started) / 1000;
    const concurrentEvents = events.length - sequentialEvents;
    const seconds = sequentialSeconds + concurrentSeconds;
    const [who] = await server.database.query<{ tenant_id: string; team_id: string; agent_id: string }>(
      'select tenant_id, team_id, agent_id from events limit 1',
    );
    let copy: { seconds: number; perSecond: number } | null = null;
    if (kind === 'postgres') {
      const schema = (await server.database.query<{ s: string }>('select current_schema() as s'))[0]!.s;
      await server.database.query('create table events_copy (like events including all)');
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', options: `-c search_path=${schema}` });
      await client.connect();
      const rows = csvRows(events, { tenantId: who!.tenant_id, teamId: who!.team_id, agentId: who!.agent_id });
      const copyStarted = performance.now();
      await pipeline(
        Readable.from(rows),
        client.query(
          copyFrom(
            'copy events_copy (id, tenant_id, team_id, agent_id, type, helpdesk, ticket_id, suggestion_id, experiment_key, experiment_arm, payload, client_created_at) from stdin with (format csv)',
          ),
        ),
      );
      const copySeconds = (performance.now() - copyStarted) / 1000;
      await client.end();
      copy = { seconds: +copySeconds.toFixed(2), perSecond: Math.round(events.length / copySeconds) };
    }
    return {
      database: kind,
      events: events.length,
      seconds: +seconds.toFixed(2),
      perSecond: Math.round(sequentialEvents / sequentialSeconds),
      concurrentPerSecond: Math.round(concurrentEvents / concurrentSeconds),
      copy,
    };
  } finally {
    await server.close();
  }
}

const events = makeEvents(EVENTS);
const rows = [];
for (const kind of ['postgres', 'pglite'] as const) {
  // Each database gets events with fresh ids, so neither run sees the other's as duplicates.
  const row = await httpIngest(kind, kind === 'postgres' ? events : makeEvents(EVENTS));
  rows.push(row);
  console.log(JSON.stringify(row));
}
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'ingest.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
const md = [
  `# /v1/events ingest (${new Date().toISOString().slice(0, 10)}, ${EVENTS} events in batches of ${MAX_EVENTS_PER_BATCH})`,
  '',
  `| database | /v1/events, one client (events/s) | /v1/events, ${CONCURRENCY} clients (events/s) | raw COPY, same indexes (rows/s) | ratio one / ${CONCURRENCY} clients |`,
  '|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.database} | ${r.perSecond} | ${r.concurrentPerSecond} | ${r.copy ? r.copy.perSecond : '—'} | ${
        r.copy ? `${(r.perSecond / r.copy.perSecond).toFixed(2)}× / ${(r.concurrentPerSecond / r.copy.perSecond).toFixed(2)}×` : '—'
      } |`,
  ),
  '',
].join('\n');
writeFileSync(join(RESULTS, 'ingest.md'), md);
console.log(md);
