import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentMetrics, type AnnotationEvent, type EventBatchResponse, type MetricsBucket } from '../../lib/contract';
import { createApp } from '../../server/app';
import { generateExperimentEvents, seedDemoExperimentEvents } from '../../server/experiments/demo-events';
import { expectedMetrics as recompute, rounded } from '../support/metrics-recompute';
import { sampleEvent } from '../support/events';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const KEY = 'reply-recipes';
const ARMS = ['alpha', 'beta', 'gamma'];
const END = new Date('2026-11-20T18:00:00Z');

/** Every metric recomputed from the raw events of this file's experiment. */
const expectedMetrics = (all: AnnotationEvent[], query: { from?: string; to?: string; bucket: MetricsBucket; control?: string }) =>
  recompute(all, { key: KEY, arms: ARMS, ...query });

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
