import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentMetrics, type AnnotationEvent, type EventBatchResponse, type MetricsBucket } from '../../lib/contract';
import { createApp } from '../../server/app';
import { generateExperimentEvents, seedDemoExperimentEvents } from '../../server/experiments/demo-events';
import { bradleyTerry, newcombeDifference, wilsonInterval, type PairRecord } from '../../server/experiments/stats';
import { sampleEvent } from '../support/events';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const KEY = 'reply-recipes';
const ARMS = ['alpha', 'beta', 'gamma'];
const END = new Date('2026-11-20T18:00:00Z');

/** A seeded mix of a few hundred events, plus the cases the generator does not make. */
function testEvents(): AnnotationEvent[] {
  const events = [...generateExperimentEvents({ experimentKey: KEY, arms: ARMS, days: 4, perDay: 28, end: END, seed: 5 })];
  const shown = events.find((e) => e.type === 'suggestion.shown')!;
  const at = shown.createdAt;
  const extra = (type: AnnotationEvent['type'], fields: Record<string, unknown>, suggestionId = shown.suggestionId) =>
    sampleEvent(type, suggestionId, { experiment: { key: KEY, arm: 'alpha+beta' }, createdAt: at, ...fields }) as AnnotationEvent;
  const [left, right] = (shown as Extract<AnnotationEvent, { type: 'suggestion.shown' }>).candidates.map((c) => c.id);
  events.push(
    // A choice made and then marked both unusable: not a comparison.
    extra('preference', { candidateA: left, candidateB: right, choice: 'A_better', bothUnusable: true }),
    // A tie: half a win each.
    extra('preference', { candidateA: left, candidateB: right, choice: 'tie', bothUnusable: false }),
    // A not-used adoption of a suggestion never shown: it counts for no arm.
    extra('adoption', { candidateId: null, outcome: 'not_used', insertMethod: null, timeToSendMs: 1_000 }, '0195f1a2-0000-4000-8000-00000000dead'),
    // Another experiment's events are not this one's.
    sampleEvent('suggestion.shown', shown.suggestionId, { experiment: { key: 'other', arm: 'A+B' }, createdAt: at }) as AnnotationEvent,
    sampleEvent('adoption', shown.suggestionId, { experiment: { key: 'other', arm: 'A+B' }, createdAt: at }) as AnnotationEvent,
  );
  return events;
}

/**
 * The events in the order an outbox could send them: the `suggestion.shown` of a few suggestions
 * with a not-used adoption, a label or a report arrives last, batches after them, as when the
 * overlay queued it later. The counts kept at ingest must attribute those earlier events then.
 */
function lateShown(events: AnnotationEvent[]): AnnotationEvent[] {
  const followed = new Set(
    events
      .filter((e) => (e.type === 'adoption' && e.candidateId === null) || e.type === 'knowledge.relevance' || e.type === 'knowledge.missing')
      .map((e) => e.suggestionId),
  );
  const late = new Set(
    events
      .filter((e) => e.type === 'suggestion.shown' && followed.has(e.suggestionId))
      .slice(0, 12)
      .map((e) => e.id),
  );
  expect(late.size).toBe(12);
  return [...events.filter((e) => !late.has(e.id)), ...events.filter((e) => late.has(e.id))];
}

/** `date_trunc(bucket, t, 'UTC')` in epoch ms (weeks start on Monday). */
function truncate(ms: number, bucket: MetricsBucket): number {
  const d = new Date(ms);
  if (bucket === 'hour') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return bucket === 'day' ? day : day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
}

/** `percentile_cont`: linear interpolation between the closest ranks. */
function percentileCont(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

const armOf = (candidateId: string) => candidateId.slice(candidateId.indexOf(':') + 1);

/** Every metric recomputed from the raw events, by the definitions in server/experiments/metrics.ts. */
function expectedMetrics(all: AnnotationEvent[], query: { from?: string; to?: string; bucket: MetricsBucket; control?: string }) {
  const from = query.from ? Date.parse(query.from) : -Infinity;
  const to = query.to ? Date.parse(query.to) : Infinity;
  const events = all.filter((e) => e.experiment?.key === KEY && Date.parse(e.createdAt) >= from && Date.parse(e.createdAt) < to);
  const bucketOf = (e: AnnotationEvent) => truncate(Date.parse(e.createdAt), query.bucket);
  const shownArms = new Map<string, string[]>();
  const arm = () => ({ exposures: 0, outcomes: {} as Record<string, number>, adopted: 0, adoptions: 0, times: [] as number[], wins: 0, comparisons: 0, hits: 0, labels: 0, missing: 0 });
  const perArm = new Map(ARMS.map((a) => [a, arm()]));
  const series = new Map<string, { exposures: number; adopted: number; adoptions: number; wins: number; comparisons: number }>();
  const point = (bucket: number, name: string) => {
    const id = `${bucket}|${name}`;
    if (!series.has(id)) series.set(id, { exposures: 0, adopted: 0, adoptions: 0, wins: 0, comparisons: 0 });
    return series.get(id)!;
  };
  const pairs = new Map<string, PairRecord>();
  for (const e of events) {
    if (e.type !== 'suggestion.shown') continue;
    shownArms.set(e.suggestionId, e.candidates.map((c) => c.arm));
    for (const c of e.candidates) {
      perArm.get(c.arm)!.exposures++;
      point(bucketOf(e), c.arm).exposures++;
    }
  }
  for (const e of events) {
    if (e.type === 'adoption') {
      const arms = e.candidateId ? [armOf(e.candidateId)] : (shownArms.get(e.suggestionId) ?? []);
      const adopted = e.outcome !== 'not_used';
      for (const name of arms) {
        const a = perArm.get(name)!;
        a.outcomes[e.outcome] = (a.outcomes[e.outcome] ?? 0) + 1;
        a.adoptions++;
        if (adopted) a.adopted++;
        if (e.timeToSendMs !== null) a.times.push(e.timeToSendMs);
        const p = point(bucketOf(e), name);
        p.adoptions++;
        if (adopted) p.adopted++;
      }
    } else if (e.type === 'preference') {
      if (e.bothUnusable || e.choice === null) continue;
      const left = armOf(e.candidateA);
      const right = armOf(e.candidateB);
      if (left === right) continue;
      const score = e.choice.startsWith('A_') ? 1 : e.choice === 'tie' ? 0.5 : 0;
      for (const [name, won] of [[left, score], [right, 1 - score]] as const) {
        perArm.get(name)!.wins += won;
        perArm.get(name)!.comparisons++;
        point(bucketOf(e), name).wins += won;
        point(bucketOf(e), name).comparisons++;
      }
      const id = `${left}|${right}`;
      const pair = pairs.get(id) ?? { first: left, second: right, wins: 0, comparisons: 0 };
      pair.wins += score;
      pair.comparisons++;
      pairs.set(id, pair);
    } else if (e.type === 'knowledge.relevance') {
      if (e.rank > 8) continue;
      const score = e.label === 'relevant' ? 1 : e.label === 'partly' ? 0.5 : 0;
      for (const name of shownArms.get(e.suggestionId) ?? []) {
        perArm.get(name)!.hits += score;
        perArm.get(name)!.labels++;
      }
    } else if (e.type === 'knowledge.missing') {
      for (const name of shownArms.get(e.suggestionId) ?? []) perArm.get(name)!.missing++;
    }
  }
  const proportion = (count: number, n: number) => {
    const interval = wilsonInterval(count, n);
    return { count, n, rate: n ? count / n : null, low: interval?.low ?? null, high: interval?.high ?? null };
  };
  const control = query.control ?? ARMS[0]!;
  const strengths = bradleyTerry([...pairs.values()]);
  const c = perArm.get(control)!;
  return {
    controlArm: control,
    arms: ARMS.map((name) => {
      const a = perArm.get(name)!;
      return {
        arm: name,
        exposures: a.exposures,
        adoption: {
          outcomes: a.outcomes,
          adopted: proportion(a.adopted, a.adoptions),
          liftOverControl: name === control ? null : newcombeDifference(a.adopted, a.adoptions, c.adopted, c.adoptions),
        },
        preferenceWins: proportion(a.wins, a.comparisons),
        bradleyTerry: strengths.get(name) ?? null,
        precisionAt8: proportion(a.hits, a.labels),
        missingKnowledge: proportion(a.missing, a.exposures),
        timeToSend: { p50: percentileCont(a.times, 0.5), p90: percentileCont(a.times, 0.9) },
      };
    }),
    series: [...series.entries()]
      .map(([id, p]) => {
        const [bucket, name] = id.split('|') as [string, string];
        return { bucket: Number(bucket), arm: name, ...p };
      })
      .sort((a, b) => a.bucket - b.bucket || a.arm.localeCompare(b.arm))
      .map((p) => ({
        bucket: new Date(p.bucket).toISOString(),
        arm: p.arm,
        exposures: p.exposures,
        adopted: proportion(p.adopted, p.adoptions),
        preferenceWins: proportion(p.wins, p.comparisons),
      })),
  };
}

/** Sums in SQL and in JS round differently in the last bits. */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)));
}

describe.each(DATABASE_KINDS)('experiment metrics on %s', (kind) => {
  let server: TestServer;
  let lead: string;
  let agent: string;
  const events = testEvents();

  beforeAll(async () => {
    server = await startTestServer(kind);
    agent = await server.token('agent');
    lead = await server.token('lead');
    const sent = lateShown(events);
    for (let i = 0; i < sent.length; i += 200) {
      const { status, body } = await server.call('/v1/events', { token: agent, body: { events: sent.slice(i, i + 200) } });
      expect(status).toBe(200);
      expect((body as EventBatchResponse).results.every((r) => r.status === 'accepted')).toBe(true);
    }
  });

  afterAll(async () => {
    await server?.close();
  });

  const metrics = async (query: string) => {
    const { status, body } = await server.call(`/v1/admin/experiments/${KEY}/metrics?${query}`, { token: lead });
    expect(status, JSON.stringify(body)).toBe(200);
    return ExperimentMetrics.parse(body);
  };

  it('matches every metric recomputed from the raw events, by day', async () => {
    expect(events.length).toBeGreaterThan(300);
    const actual = await metrics('bucket=day');
    const expected = expectedMetrics(events, { bucket: 'day' });
    expect(actual.key).toBe(KEY);
    expect(actual.from).toBeNull();
    expect(rounded(actual.arms)).toEqual(rounded(expected.arms));
    expect(rounded(actual.series)).toEqual(rounded(expected.series));
    expect(actual.controlArm).toBe('alpha');
    // The generator makes later arms better; with this many events the data should say so.
    expect(actual.arms[2]!.adoption.liftOverControl!.difference).toBeGreaterThan(0);
    expect(actual.arms.reduce((sum, a) => sum + (a.bradleyTerry ?? 0), 0)).toBeCloseTo(1, 9);
  });

  it('matches in a window, by hour, against another control arm', async () => {
    const from = new Date(END.getTime() - 2 * 86_400_000).toISOString();
    const to = new Date(END.getTime() - 86_400_000 + 3_600_000 * 3).toISOString();
    const actual = await metrics(`bucket=hour&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&control=beta`);
    const expected = expectedMetrics(events, { from, to, bucket: 'hour', control: 'beta' });
    expect(actual.from).toBe(from);
    expect(actual.controlArm).toBe('beta');
    expect(rounded(actual.arms)).toEqual(rounded(expected.arms));
    expect(rounded(actual.series)).toEqual(rounded(expected.series));
  });

  it('matches in a window that cuts through hours (read from the events rather than the hourly counts)', async () => {
    const from = new Date(END.getTime() - 3 * 86_400_000 + 1_234_567).toISOString();
    const to = new Date(END.getTime() - 86_400_000 - 2_345_678).toISOString();
    const actual = await metrics(`bucket=hour&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    const expected = expectedMetrics(events, { from, to, bucket: 'hour' });
    expect(rounded(actual.arms)).toEqual(rounded(expected.arms));
    expect(rounded(actual.series)).toEqual(rounded(expected.series));
  });

  it('buckets weeks from Monday', async () => {
    const actual = await metrics('bucket=week');
    expect(rounded(actual.series)).toEqual(rounded(expectedMetrics(events, { bucket: 'week' }).series));
  });

  it('is for leads and admins, and says what is wrong with a request', async () => {
    expect((await server.call(`/v1/admin/experiments/${KEY}/metrics`, { token: agent })).status).toBe(403);
    const admin = await server.token('admin');
    expect((await server.call(`/v1/admin/experiments/${KEY}/metrics`, { token: admin })).status).toBe(200);
    const badBucket = await server.call(`/v1/admin/experiments/${KEY}/metrics?bucket=month`, { token: lead });
    expect(badBucket.status).toBe(400);
    expect(badBucket.body.error).toMatch(/^bucket:/);
    const unknownControl = await server.call(`/v1/admin/experiments/${KEY}/metrics?control=delta`, { token: lead });
    expect(unknownControl.status).toBe(400);
    expect(unknownControl.body.error).toMatch(/^control: no arm "delta"/);
    const backwards = await server.call(`/v1/admin/experiments/${KEY}/metrics?from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z`, { token: lead });
    expect(backwards.status).toBe(400);
    expect((await server.call('/v1/admin/experiments/never-run/metrics', { token: lead })).status).toBe(404);
  });

  it('answers the local CLI for the tenant it names', async () => {
    const app = createApp({ database: server.database, systemToken: 'ldsys_metrics' });
    const system = { authorization: 'Bearer ldsys_metrics' };
    const unnamed = await app.request(`/v1/admin/experiments/${KEY}/metrics`, { headers: system });
    expect(unnamed.status).toBe(400);
    const named = await app.request(`/v1/admin/experiments/${KEY}/metrics?tenant=acme`, { headers: system });
    expect(named.status).toBe(200);
    expect(ExperimentMetrics.parse(await named.json()).arms.map((a) => a.arm)).toEqual(ARMS);
  });

  it('seeds demo events once', async () => {
    const tenantId = (await server.database.query<{ id: string }>("select id from tenants where slug = 'acme'"))[0]!.id;
    const options = { experimentKey: 'demo-recipes', arms: ['short', 'long'], days: 2, perDay: 10, end: END };
    const stored = await seedDemoExperimentEvents(server.database, tenantId, options);
    expect(stored).toBeGreaterThan(40);
    expect(await seedDemoExperimentEvents(server.database, tenantId, options)).toBe(0);
    const { body } = await server.call('/v1/admin/experiments/demo-recipes/metrics', { token: lead });
    expect(ExperimentMetrics.parse(body).arms.reduce((n, a) => n + a.exposures, 0)).toBe(2 * 2 * 10);
  });

  it('backfills, for events stored before migration 0009, what its trigger keeps as they arrive', async () => {
    const tables = ['experiment_suggestions', 'experiment_metric_hours', 'experiment_adoption_times'];
    const snapshot = async () => {
      const rows: Record<string, unknown[]> = {};
      for (const table of tables) rows[table] = await server.database.query(`select * from ${table} t order by t::text`);
      return rows;
    };
    const kept = await snapshot();
    expect(kept.experiment_metric_hours!.length).toBeGreaterThan(0);
    const migration = readFileSync(new URL('../../server/db/migrations/0009_experiment_metric_rollups.sql', import.meta.url), 'utf8');
    const backfill = migration
      .slice(migration.indexOf('-- Backfill'))
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await server.database.db.transaction(async (tx) => {
      for (const table of tables) await tx.execute(sql.raw(`delete from ${table}`));
      for (const statement of backfill) await tx.execute(sql.raw(statement));
    });
    expect(await snapshot()).toEqual(kept);
  });

  it('keeps tenants apart', async () => {
    const otherLead = await server.token('lead', { tenant: 'globex' });
    expect((await server.call(`/v1/admin/experiments/${KEY}/metrics`, { token: otherLead })).status).toBe(404);
  });
});
