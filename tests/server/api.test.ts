import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { SuggestResponse, EventBatchResponse, RetrieveResponse } from '../../lib/contract';
import { importJsonl } from '../../server/kb/import';
import { ensureTenant } from '../../server/tenancy';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';
import { sampleEvent } from '../support/events';

const KB = [
  { id: 'kb-wifi', title: 'Connect the thermostat to Wi-Fi', body: '## Pairing\nHold the dial for five seconds until the ring blinks blue, then pick your network in the app.\n\n## Router requirements\nUse a 2.4 GHz network with WPA2.' },
  { id: 'kb-refund', title: 'Refunds and returns', body: '## Returns window\nYou can return a device within 30 days of delivery for a full refund.\n\n## How refunds are paid\nRefunds go back to the original card within 5 business days.' },
  { id: 'kb-battery', title: 'Replace radiator valve batteries', body: '## Battery type\nThe valve takes two AA lithium batteries.\n\n## Low battery warning\nThe app warns you when the batteries drop below 15 percent.' },
];

function jsonl(items: unknown[]): Readable {
  return Readable.from(items.map((i) => `${typeof i === 'string' ? i : JSON.stringify(i)}\n`));
}

describe.each(DATABASE_KINDS)('Contract v1 on %s', (kind) => {
  let server: TestServer;
  let agent: string;
  let suggestionId: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    const tenantId = await ensureTenant(server.database.db, 'acme');
    await importJsonl(server.database.db, tenantId, jsonl(KB));
    agent = await server.token('agent');
  });
  afterAll(async () => server?.close());

  it('answers /healthz', async () => {
    const res = await server.call('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.database).toBe(kind);
  });

  it('refuses a missing or unknown token with 401 and a too-small role with 403', async () => {
    expect((await server.call('/v1/retrieve', { body: { query: 'wifi', k: 3 } })).status).toBe(401);
    expect((await server.call('/v1/retrieve', { token: 'ld_nope', body: { query: 'wifi', k: 3 } })).status).toBe(401);
    const res = await server.call('/v1/admin/tokens', { token: agent, body: { tenant: 'acme', team: 'support', role: 'admin', name: 'mallory' } });
    expect(res.status).toBe(403);
    const lead = await server.token('lead');
    expect((await server.call('/v1/admin/tokens', { token: lead, body: { tenant: 'acme', team: 'x', role: 'agent', name: 'y' } })).status).toBe(403);
  });

  it('lets an admin create tokens in its own tenant only', async () => {
    const admin = await server.token('admin');
    const own = await server.call('/v1/admin/tokens', { token: admin, body: { tenant: 'acme', team: 'billing', role: 'agent', name: 'bea' } });
    expect(own.status).toBe(200);
    const me = await server.call('/v1/me', { token: own.body.token });
    expect(me.body).toEqual({ tenant: 'acme', team: 'billing', agent: 'bea', role: 'agent' });
    const other = await server.call('/v1/admin/tokens', { token: admin, body: { tenant: 'globex', team: 'x', role: 'agent', name: 'z' } });
    expect(other.status).toBe(403);
  });

  it('retrieves the article that answers a question, with its own id', async () => {
    const res = await server.call('/v1/retrieve', { token: agent, body: { query: 'how long do refunds take to reach my card', k: 5 } });
    expect(res.status).toBe(200);
    const { results } = RetrieveResponse.parse(res.body);
    expect(results[0]!.articleId).toBe('kb-refund');
    expect(results.map((r) => r.rank)).toEqual(results.map((_, i) => i + 1));
  });

  it('rejects k above 100 naming the field', async () => {
    const res = await server.call('/v1/retrieve', { token: agent, body: { query: 'wifi', k: 101 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^k:/);
  });

  it('suggests two cited candidates and stores the suggestion', async () => {
    const res = await server.call('/v1/suggest', {
      token: agent,
      body: {
        helpdesk: 'zendesk',
        ticketId: '77',
        subject: 'Thermostat will not join my wifi',
        messages: [{ author: 'customer', text: 'Hi,\nthe ring never blinks blue when I try pairing with the router.\nThanks,\nAnn' }],
        tags: ['wifi'],
      },
    });
    expect(res.status).toBe(200);
    const body = SuggestResponse.parse(res.body);
    suggestionId = body.suggestionId;
    expect(body.candidates).toHaveLength(2);
    expect(new Set(body.candidates.map((c) => c.arm))).toEqual(new Set(['A', 'B']));
    expect(body.articles[0]!.articleId).toBe('kb-wifi');
    for (const candidate of body.candidates) {
      expect(candidate.citations.length).toBeGreaterThan(0);
      for (const n of candidate.citations) {
        expect(candidate.text).toContain(`[${n}]`);
        expect(body.articles.some((a) => a.n === n)).toBe(true);
      }
    }
    const stored = await server.database.query<{ ticket_id: string }>('select ticket_id from suggestions where id = $1', [suggestionId]);
    expect(stored).toEqual([{ ticket_id: '77' }]);
  });

  it('stores events idempotently, one result per event', async () => {
    const events = (['suggestion.shown', 'preference', 'adoption', 'knowledge.relevance', 'knowledge.missing'] as const).map((t) =>
      sampleEvent(t, suggestionId),
    );
    const first = EventBatchResponse.parse((await server.call('/v1/events', { token: agent, body: { events } })).body);
    expect(first.results.map((r) => r.status)).toEqual(Array(5).fill('accepted'));
    const again = EventBatchResponse.parse((await server.call('/v1/events', { token: agent, body: { events } })).body);
    expect(again.results.map((r) => r.status)).toEqual(Array(5).fill('duplicate'));
    const rows = await server.database.query<{ n: number }>('select count(*)::int as n from events where suggestion_id = $1', [suggestionId]);
    expect(rows[0]!.n).toBe(5);
  });

  it('stores the valid events of a mixed batch and names the zod path of the bad one', async () => {
    const good = sampleEvent('adoption', suggestionId);
    const bad = sampleEvent('adoption', suggestionId, { outcome: 'sort_of' });
    const twin = { ...good };
    const res = await server.call('/v1/events', { token: agent, body: { events: [good, bad, twin, 42] } });
    expect(res.status).toBe(200);
    const { results } = EventBatchResponse.parse(res.body);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'duplicate', 'rejected']);
    expect(results[1]!.error).toMatch(/^events\[1\]\.outcome: /);
    expect(results[3]!.id).toBe('events[3]');
    const stored = await server.database.query('select 1 from events where id = $1', [good.id]);
    expect(stored).toHaveLength(1);
  });

  it('takes tenant and agent from the token, never from the body', async () => {
    const event = sampleEvent('knowledge.missing', suggestionId, { tenantId: 'someone-else', agentId: 'not-me' });
    await server.call('/v1/events', { token: agent, body: { events: [event] } });
    const [row] = await server.database.query<{ tenant: string; agent_name: string; payload_tenant: string }>(
      `select t.slug as tenant, a.name as agent_name, e.payload->>'tenantId' as payload_tenant
         from events e join tenants t on t.id = e.tenant_id join agents a on a.id = e.agent_id where e.id = $1`,
      [event.id],
    );
    expect(row!.tenant).toBe('acme');
    expect(row!.agent_name).not.toBe('not-me');
    expect(row!.payload_tenant).not.toBe('someone-else');
  });

  it('answers 400 for non-JSON and bad envelopes, 413 for oversized bodies', async () => {
    expect((await server.call('/v1/events', { token: agent, rawBody: '{nope', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const noEvents = await server.call('/v1/events', { token: agent, body: { evts: [] } });
    expect(noEvents.status).toBe(400);
    expect(noEvents.body.error).toMatch(/^events:/);
    const tooMany = await server.call('/v1/events', { token: agent, body: { events: Array(1001).fill({}) } });
    expect(tooMany.status).toBe(400);
    const huge = await server.call('/v1/events', { token: agent, rawBody: JSON.stringify({ events: ['x'.repeat(6 * 1024 * 1024)] }), headers: { 'content-type': 'application/json' } });
    expect(huge.status).toBe(413);
  });

  it('keeps tenants apart: another tenant sees none of this KB', async () => {
    const outsider = await server.token('agent', { tenant: 'globex' });
    const res = await server.call('/v1/retrieve', { token: outsider, body: { query: 'refund card wifi battery', k: 10 } });
    expect(res.body.results).toEqual([]);
  });

  it('re-imports: updates changed articles, skips malformed lines by line number', async () => {
    const tenantId = await ensureTenant(server.database.db, 'acme');
    const summary = await importJsonl(
      server.database.db,
      tenantId,
      jsonl([KB[0], { ...KB[1], body: `${KB[1]!.body}\n\n## Exchanges\nExchanges ship free of charge.` }, '{"id": "x"', { id: 'no-title', body: 'x' }]),
    );
    expect(summary).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect(summary.skipped.map((s) => s.line)).toEqual([3, 4]);
    expect(summary.skipped[1]!.error).toMatch(/^title:/);
    const res = await server.call('/v1/retrieve', { token: agent, body: { query: 'exchanges ship free', k: 1 } });
    expect(res.body.results[0].chunkId).toBe('kb-refund#2');
  });

  it('rejects suggestion requests with a bad ticket context', async () => {
    const res = await server.call('/v1/suggest', { token: agent, body: { helpdesk: 'kayako', ticketId: randomUUID() } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^helpdesk:/);
  });
});
