/**
 * Property-based fuzzing of `POST /v1/events`, in process (Hono's `app.request`) over a real
 * database: arbitrary bodies, batches of valid, mutated, duplicated and garbage events, text with
 * characters PostgreSQL cannot store. No answer is a 5xx, every rejection names its field, valid
 * events are accepted (or duplicate) and nothing invalid is stored.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnotationEvent, EventBatchResponse, MAX_EVENTS_PER_BATCH } from '../../lib/contract';
import { createApp } from '../../server/app';
import type { LogLine } from '../../server/http/log';
import { anyJson, eventLike, FUZZ_RUNS, fuzzParams, fuzzTimeout, namesFields, storable, text, wrongValue } from '../support/fuzz';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

/** A timestamp PostgreSQL and JavaScript both represent: years 1 to 9999 in UTC. */
function representable(createdAt: string): boolean {
  const year = new Date(createdAt).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

type Step =
  | { kind: 'valid'; event: Record<string, unknown> }
  | { kind: 'mutate'; event: Record<string, unknown>; key: string; value: unknown; remove: boolean }
  | { kind: 'repeat'; back: number; upper: boolean }
  | { kind: 'resend'; pick: number }
  | { kind: 'garbage'; value: unknown };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: eventLike.map((event) => ({ kind: 'valid' as const, event: event as Record<string, unknown> })) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(eventLike, fc.nat(), fc.oneof(wrongValue, text(20)), fc.boolean())
      .map(([event, n, value, remove]) => {
        const keys = Object.keys(event);
        return { kind: 'mutate' as const, event: event as Record<string, unknown>, key: keys[n % keys.length]!, value, remove };
      }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), back: fc.nat(), upper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: anyJson.map((value) => ({ kind: 'garbage' as const, value })) },
);

describe.each(DATABASE_KINDS)('fuzzing POST /v1/events on %s', (kind) => {
  let server: TestServer;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let tenantId: string;
  let agentId: string;
  const errors: LogLine[] = [];
  /** Ids (lower case) the server has stored, as the oracle tracks them. */
  const stored = new Set<string>();
  /** Valid events sent before, to send again. */
  const sent: Record<string, unknown>[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
    app = createApp({ database: server.database, http: { log: (line) => line.level !== 'info' && errors.push(line) } });
    token = await server.token('agent', { tenant: 'fuzz-events', name: 'fuzzer' });
    const [ids] = await server.database.query<{ tenantId: string; agentId: string }>(
      `select t.id as "tenantId", a.id as "agentId" from tenants t join agents a on a.tenant_id = t.id where t.slug = 'fuzz-events'`,
    );
    ({ tenantId, agentId } = ids!);
  });
  afterAll(async () => server?.close());

  const post = (body: string, contentType = 'application/json') =>
    app.request('/v1/events', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });

  it(
    `answers arbitrary bodies with 200 or a 400 that names the field (${FUZZ_RUNS} inputs)`,
    async () => {
      const body = fc.oneof(
        anyJson.map((v) => JSON.stringify(v)),
        text(60),
        fc.record({ events: anyJson }).map((v) => JSON.stringify(v)),
        fc.array(anyJson, { maxLength: 4 }).map((events) => JSON.stringify({ events })),
        fc.constant(JSON.stringify({ events: [] })),
        fc.constant(JSON.stringify({ events: Array(MAX_EVENTS_PER_BATCH + 1).fill({}) })),
        fc.nat(5000).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
        fc.nat(5000).map((depth) => `{"events":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}`),
      );
      await fc.assert(
        fc.asyncProperty(body, async (raw) => {
          const res = await post(raw);
          expect(res.status === 200 || res.status === 400, `status ${res.status} for ${raw.slice(0, 200)}`).toBe(true);
          const answer = await res.json();
          if (res.status === 400) {
            expect(typeof answer.error).toBe('string');
            if (answer.error !== 'request body is not valid JSON') expect(namesFields(answer.error), answer.error).toBe(true);
            return;
          }
          const events = (JSON.parse(raw) as { events: unknown[] }).events;
          const { results } = EventBatchResponse.parse(answer);
          expect(results).toHaveLength(events.length);
          results.forEach((r, i) => {
            if (r.status === 'rejected') expect(namesFields(r.error!, `events[${i}]`), r.error).toBe(true);
            else {
              expect(AnnotationEvent.safeParse(events[i]).success).toBe(true);
              stored.add(r.id.toLowerCase());
            }
          });
        }),
        fuzzParams(),
      );
      expect(errors).toEqual([]);
    },
    fuzzTimeout(3),
  );

  it(
    `accepts valid events, rejects the rest by field, and keeps ids idempotent (${FUZZ_RUNS} batches)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
          const batch: unknown[] = [];
          const mutated: (string | null)[] = [];
          for (const s of steps) {
            let event: unknown;
            let key: string | null = null;
            if (s.kind === 'valid') event = s.event;
            else if (s.kind === 'mutate') {
              const copy = { ...s.event };
              if (s.remove) delete copy[s.key];
              else copy[s.key] = s.value;
              event = copy;
              key = s.key;
            } else if (s.kind === 'repeat') {
              const earlier = batch.length ? (batch[s.back % batch.length] as Record<string, unknown>) : null;
              event = earlier && typeof earlier.id === 'string' && s.upper ? { ...earlier, id: earlier.id.toUpperCase() } : earlier ?? {};
            } else if (s.kind === 'resend') event = sent.length ? sent[s.pick % sent.length] : {};
            else event = s.value;
            batch.push(event);
            mutated.push(key);
          }
          const res = await post(JSON.stringify({ events: batch }));
          expect(res.status, `status ${res.status}`).toBe(200);
          const { results } = EventBatchResponse.parse(await res.json());
          expect(results).toHaveLength(batch.length);
          const inBatch = new Set<string>();
          batch.forEach((raw, i) => {
            const result = results[i]!;
            // The id as sent, so that the client can match results to what it queued.
            const sentId = (raw as { id?: unknown } | null)?.id;
            expect(result.id).toBe(typeof sentId === 'string' ? sentId : `events[${i}]`);
            const parsed = AnnotationEvent.safeParse(raw);
            const valid = parsed.success && storable(parsed.data) && representable(parsed.data.createdAt);
            if (!valid) {
              expect(result.status, JSON.stringify(raw).slice(0, 300)).toBe('rejected');
              expect(namesFields(result.error!, `events[${i}]`), result.error).toBe(true);
              const key = mutated[i];
              const before = key === null ? null : AnnotationEvent.safeParse(steps[i]!.kind === 'mutate' ? (steps[i] as { event: unknown }).event : null);
              // A valid event with one field changed is rejected for that field (a preference's
              // choice and bothUnusable are checked together, under `choice`).
              if (key && key !== 'type' && before?.success && storable(before.data) && representable(before.data.createdAt)) {
                const named = key === 'bothUnusable' ? /\.(bothUnusable|choice)\b/ : new RegExp(`\\.${key}\\b`);
                expect(result.error, `mutated ${key}`).toMatch(named);
              }
              return;
            }
            const id = parsed.data.id.toLowerCase();
            const expected = stored.has(id) || inBatch.has(id) ? 'duplicate' : 'accepted';
            expect(result.status, `event ${i} ${id}`).toBe(expected);
            inBatch.add(id);
            stored.add(id);
            if (expected === 'accepted') sent.push(raw as Record<string, unknown>);
          });
        }),
        fuzzParams(),
      );
      expect(errors).toEqual([]);
    },
    fuzzTimeout(5),
  );

  it('stored nothing invalid: every row re-parses as an annotation event and matches its columns', async () => {
    const rows = await server.database.query<{ id: string; payload: unknown }>('select id, payload from events where tenant_id = $1', [tenantId]);
    expect(rows.length).toBe(stored.size);
    expect(rows.length).toBeGreaterThan(FUZZ_RUNS / 2);
    for (const row of rows) {
      const event = AnnotationEvent.parse(row.payload);
      expect(event.id).toBe(row.id);
      expect([event.tenantId, event.agentId]).toEqual([tenantId, agentId]);
    }
    // Compared in SQL: PGlite's driver drops a leading U+FEFF from text it reads back (the stored
    // bytes keep it), so comparing in JavaScript would blame the database for the driver.
    const [mismatch] = await server.database.query<{ n: number }>(
      `select count(*)::int as n from events
        where tenant_id = $1
          and (type is distinct from payload->>'type' or helpdesk is distinct from payload->>'helpdesk'
               or ticket_id is distinct from payload->>'ticketId' or suggestion_id::text is distinct from lower(payload->>'suggestionId')
               or agent_id <> $2 or id::text is distinct from payload->>'id'
               or experiment_key is distinct from payload->'experiment'->>'key'
               or experiment_arm is distinct from payload->'experiment'->>'arm'
               or client_created_at is distinct from date_trunc('milliseconds', (payload->>'createdAt')::timestamptz))`,
      [tenantId, agentId],
    );
    expect(mismatch!.n).toBe(0);
  });
});
