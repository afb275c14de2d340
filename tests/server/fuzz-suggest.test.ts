/**
 * Property-based fuzzing of `POST /v1/suggest` (JSON and Server-Sent Events), in process over a real
 * database with a small knowledge base: arbitrary bodies, valid ticket contexts with text that is
 * hard on parsers, tokenizers and databases, and contexts with one field made wrong. No 5xx, every
 * 400 names its field, a valid context gets two cited candidates, and every stored suggestion's
 * context re-parses.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuggestRequest, SuggestResponse, SuggestStreamEvent } from '../../lib/contract';
import { createApp } from '../../server/app';
import type { LogLine } from '../../server/http/log';
import { importJsonl } from '../../server/kb/import';
import { ensureTenant } from '../../server/tenancy';
import { anyJson, FUZZ_RUNS, fuzzParams, fuzzTimeout, namesFields, storable, text, ticketLike, wrongValue } from '../support/fuzz';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const KB = [
  { id: 'kb-wifi', title: 'Connect the thermostat to Wi-Fi', body: '## Pairing\nHold the dial for five seconds until the ring blinks blue.\n\n## Router\nUse a 2.4 GHz network with WPA2.' },
  { id: 'kb-refund', title: 'Refunds and returns', body: '## Returns window\nReturn a device within 30 days for a full refund.\n\n## Refund time\nRefunds reach the card within 5 business days.' },
  { id: 'kb-émoji', title: 'Émoji 😀 and ünïcode in titles', body: 'Le thermostat affiche 😀 quand tout va bien. Ελληνικά. 日本語のテキスト.' },
];

/** The SSE events of a streamed answer, in order. */
function sseEvents(body: string): SuggestStreamEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      return SuggestStreamEvent.parse(JSON.parse(data));
    });
}

describe.each(DATABASE_KINDS)('fuzzing POST /v1/suggest on %s', (kind) => {
  let server: TestServer;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let tenantId: string;
  let served = 0;
  const errors: LogLine[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
    app = createApp({ database: server.database, http: { log: (line) => line.level !== 'info' && errors.push(line) } });
    tenantId = await ensureTenant(server.database.db, 'fuzz-suggest');
    await importJsonl(server.database.db, tenantId, Readable.from(KB.map((a) => `${JSON.stringify(a)}\n`)));
    token = await server.token('agent', { tenant: 'fuzz-suggest' });
  });
  afterAll(async () => server?.close());

  const post = (body: string, stream = false) =>
    app.request('/v1/suggest', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(stream ? { accept: 'text/event-stream' } : {}) },
      body,
    });

  it(
    `answers arbitrary bodies with 200 or a 400 that names the field (${FUZZ_RUNS} inputs)`,
    async () => {
      const body = fc.oneof(
        anyJson.map((v) => JSON.stringify(v)),
        text(60),
        fc.dictionary(fc.constantFrom('helpdesk', 'ticketId', 'subject', 'messages', 'locale', 'tags', 'x'), anyJson).map((v) => JSON.stringify(v)),
      );
      await fc.assert(
        fc.asyncProperty(body, async (raw) => {
          const res = await post(raw);
          expect(res.status === 200 || res.status === 400, `status ${res.status} for ${raw.slice(0, 200)}`).toBe(true);
          const answer = await res.json();
          if (res.status === 200) {
            SuggestResponse.parse(answer);
            served++;
          } else if (answer.error !== 'request body is not valid JSON') expect(namesFields(answer.error), answer.error).toBe(true);
        }),
        fuzzParams(),
      );
      expect(errors).toEqual([]);
    },
    fuzzTimeout(10),
  );

  it(
    `suggests two cited candidates for every valid context and names the field of a wrong one (${FUZZ_RUNS} contexts)`,
    async () => {
      const input = fc.tuple(
        ticketLike,
        fc.option(fc.tuple(fc.constantFrom('helpdesk', 'ticketId', 'subject', 'messages', 'locale', 'tags'), wrongValue, fc.boolean())),
        fc.boolean(),
      );
      await fc.assert(
        fc.asyncProperty(input, async ([ticket, mutation, stream]) => {
          const context: Record<string, unknown> = { ...ticket };
          if (mutation) {
            const [key, value, remove] = mutation;
            if (remove) delete context[key];
            else context[key] = value;
          }
          const parsed = SuggestRequest.safeParse(context);
          const valid = parsed.success && storable(parsed.data);
          const res = await post(JSON.stringify(context), stream);
          if (!valid) {
            expect(res.status, JSON.stringify(context).slice(0, 300)).toBe(400);
            const { error } = await res.json();
            expect(namesFields(error), error).toBe(true);
            // A valid context with one field made wrong is refused for that field.
            const before = SuggestRequest.safeParse(ticket);
            if (mutation && before.success && storable(before.data)) expect(error).toMatch(new RegExp(`^${mutation[0]}\\b`));
            return;
          }
          expect(res.status, JSON.stringify(context).slice(0, 300)).toBe(200);
          let answer: SuggestResponse;
          if (stream) {
            const events = sseEvents(await res.text());
            expect(events[0]!.type).toBe('meta');
            expect(events.at(-1)!.type).toBe('done');
            expect(events.some((e) => e.type === 'error')).toBe(false);
            const meta = events[0] as Extract<SuggestStreamEvent, { type: 'meta' }>;
            const candidates = events.flatMap((e) => (e.type === 'candidate' ? [e.candidate] : []));
            answer = { suggestionId: meta.suggestionId, experiment: meta.experiment, articles: meta.articles, candidates, latencyMs: 0 };
          } else {
            answer = SuggestResponse.parse(await res.json());
          }
          served++;
          expect(answer.candidates).toHaveLength(2);
          expect(new Set(answer.candidates.map((c) => c.arm))).toEqual(new Set(['A', 'B']));
          for (const candidate of answer.candidates) {
            for (const n of candidate.citations) {
              expect(candidate.text).toContain(`[${n}]`);
              expect(answer.articles.some((a) => a.n === n)).toBe(true);
            }
          }
        }),
        fuzzParams(),
      );
      expect(errors).toEqual([]);
    },
    fuzzTimeout(15),
  );

  it('stored nothing invalid: every suggestion’s context re-parses as a ticket context', async () => {
    const rows = await server.database.query<{ context: unknown; ticket_id: string; helpdesk: string }>(
      'select context, ticket_id, helpdesk from suggestions where tenant_id = $1',
      [tenantId],
    );
    expect(rows.length).toBe(served);
    for (const row of rows) SuggestRequest.parse(row.context);
    const [mismatch] = await server.database.query<{ n: number }>(
      `select count(*)::int as n from suggestions
        where tenant_id = $1 and (ticket_id is distinct from context->>'ticketId' or helpdesk is distinct from context->>'helpdesk')`,
      [tenantId],
    );
    expect(mismatch!.n).toBe(0);
  });
});
