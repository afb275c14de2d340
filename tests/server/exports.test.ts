import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBatchResponse, ExportRequest, SuggestResponse, type AnnotationEventInput, type ExportRequestInput } from '../../lib/contract';
import { createExport } from '../../server/exports';
import { KB_GAP_CSV_COLUMNS } from '../../server/exports/kb-gaps';
import { queryFromTicket } from '../../server/retrieval/query';
import { startServer } from '../../server/serve';
import { createToken } from '../../server/tenancy';
import { sampleEvent } from '../support/events';
import {
  OpenAiPreferenceLine,
  OpenAiSftLine,
  parseCsv,
  parseJsonl,
  QRELS_LINE,
  QueryJsonLine,
  TripletLine,
  TrlRow,
  TrlTextRow,
} from '../support/exports';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

/** Every article mentions the thermostat, so each ticket is shown several articles. */
const KB = [
  {
    id: 'kb-wifi',
    title: 'Connect the thermostat to Wi-Fi',
    body: '## Pairing\nHold the thermostat dial for five seconds until the ring blinks blue, then pick your network in the app.\n\n## Router requirements\nThe thermostat needs a 2.4 GHz network with WPA2.',
  },
  {
    id: 'kb-refund',
    title: 'Refunds and returns for the thermostat',
    body: '## Returns window\nYou can return a thermostat within 30 days of delivery for a full refund.\n\n## How refunds are paid\nRefunds go back to the original card within 5 business days.',
  },
  {
    id: 'kb-battery',
    title: 'Replace thermostat valve batteries',
    body: '## Battery type\nThe thermostat valve takes two AA lithium batteries.\n\n## Low battery warning\nThe app warns you when the batteries drop below 15 percent.',
  },
  {
    id: 'kb-reset',
    title: 'Factory reset the thermostat',
    body: '## Reset\nPress and hold the thermostat dial for twenty seconds to reset it to factory settings; pairing and schedules are erased.',
  },
];

const TICKETS = {
  wifi: { subject: 'Thermostat will not join my wifi', text: 'Hi,\nthe ring never blinks blue when I try pairing the thermostat with the router.\nThanks,\nAnn' },
  refund: { subject: 'Refund for my thermostat', text: 'How long until the refund for the thermostat reaches my card?' },
  battery: { subject: 'Thermostat batteries', text: 'Which batteries does the thermostat valve take?' },
  again: { subject: 'Thermostat wifi pairing again', text: 'The thermostat ring does not blink blue when pairing.' },
  tone: { subject: 'Thermostat refund window', text: 'Can I still return the thermostat after three weeks?' },
  reset: { subject: 'Reset the thermostat', text: 'How do I reset the thermostat to factory settings?' },
};

const run = promisify(execFile);

interface Seeded {
  id: string;
  ticketId: string;
  response: SuggestResponse;
}

/** An export's body as text through the admin API, after checking status and content type. */
async function exportText(server: TestServer, token: string, kind: string, query: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/v1/admin/exports/${kind}?${new URLSearchParams(query)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`export ${kind} answered ${response.status}: ${text}`);
  return { text, contentType: response.headers.get('content-type') ?? '' };
}

describe.each(DATABASE_KINDS)('exports on %s', (kind) => {
  let server: TestServer;
  let admin: string;
  let lead: string;
  let agent: string;
  let billingAgent: string;
  let otherLead: string;
  const s: Record<keyof typeof TICKETS | 'globex', Seeded> = {} as never;
  /** A moment between the first and the second batch of events, by the server's clock. */
  let between: string;
  let billingTeamId: string;

  async function suggestFor(token: string, ticketId: string, ticket: { subject: string; text: string }): Promise<Seeded> {
    const res = await server.call('/v1/suggest', {
      token,
      body: { helpdesk: 'zendesk', ticketId, subject: ticket.subject, messages: [{ author: 'customer', text: ticket.text }], tags: [] },
    });
    expect(res.status).toBe(200);
    const response = SuggestResponse.parse(res.body);
    return { id: response.suggestionId, ticketId, response };
  }

  /** Events of one suggestion, with its ticket and the given creation time. */
  function events(seeded: Seeded, createdAt: string, list: [AnnotationEventInput['type'], Record<string, unknown>?][]) {
    return list.map(([type, extra]) => sampleEvent(type, seeded.id, { ticketId: seeded.ticketId, createdAt, ...extra }));
  }

  function shown(seeded: Seeded, createdAt: string, extra: Record<string, unknown> = {}) {
    const { candidates, articles } = seeded.response;
    return events(seeded, createdAt, [
      [
        'suggestion.shown',
        {
          candidates: candidates.map((c, i) => ({ id: c.id, arm: c.arm, model: c.model, side: i === 0 ? 'left' : 'right' })),
          articles: articles.map((a) => ({ articleId: a.articleId, chunkId: a.chunkId, rank: a.rank, score: a.score })),
          ...extra,
        },
      ],
    ]);
  }

  const candidate = (seeded: Seeded, arm: 'A' | 'B') => seeded.response.candidates.find((c) => c.arm === arm)!;
  const article = (seeded: Seeded, rank: number) => seeded.response.articles.find((a) => a.rank === rank)!;

  async function send(token: string, batch: AnnotationEventInput[]) {
    const res = await server.call('/v1/events', { token, body: { events: batch } });
    const { results } = EventBatchResponse.parse(res.body);
    expect(results.filter((r) => r.status !== 'accepted')).toEqual([]);
  }

  beforeAll(async () => {
    server = await startTestServer(kind);
    admin = await server.token('admin');
    lead = await server.token('lead');
    agent = await server.token('agent');
    billingAgent = await server.token('agent', { team: 'billing' });
    const otherAdmin = await server.token('admin', { tenant: 'globex' });
    otherLead = await server.token('lead', { tenant: 'globex' });
    const otherAgent = await server.token('agent', { tenant: 'globex' });
    for (const a of KB) expect((await server.call('/v1/kb/articles', { token: admin, body: a })).status).toBe(201);
    const globexArticle = { id: 'gx-secret', title: 'Globex thermostat secret', body: 'Only Globex agents know the thermostat password. The password is printed under the base plate. Change the thermostat password in the app under Security.' };
    expect((await server.call('/v1/kb/articles', { token: otherAdmin, body: globexArticle })).status).toBe(201);
    const [billing] = await server.database.query<{ id: string }>(
      `select t.id::text as id from teams t join tenants n on n.id = t.tenant_id where n.slug = 'acme' and t.slug = 'billing'`,
    );
    billingTeamId = billing!.id;

    s.wifi = await suggestFor(agent, 'w-1', TICKETS.wifi);
    s.refund = await suggestFor(agent, 'r-2', TICKETS.refund);
    s.battery = await suggestFor(billingAgent, 'b-3', TICKETS.battery);
    s.again = await suggestFor(agent, 'w-4', TICKETS.again);
    s.tone = await suggestFor(agent, 't-5', TICKETS.tone);
    s.reset = await suggestFor(agent, 'x-6', TICKETS.reset);
    s.globex = await suggestFor(otherAgent, 'g-1', { subject: 'Thermostat password', text: 'What is the thermostat password?' });

    // First batch, created in January: the wifi ticket, A preferred strongly, sent verbatim, labelled.
    const jan = '2025-01-10T10:00:00.000Z';
    await send(agent, [
      ...shown(s.wifi, jan),
      ...events(s.wifi, jan, [
        ['preference', { candidateA: candidate(s.wifi, 'A').id, candidateB: candidate(s.wifi, 'B').id, choice: 'A_much_better' }],
        ['adoption', { candidateId: candidate(s.wifi, 'A').id, outcome: 'verbatim', similarity: 1, editDistance: 0, finalText: candidate(s.wifi, 'A').text }],
        ['knowledge.relevance', { articleId: article(s.wifi, 1).articleId, chunkId: article(s.wifi, 1).chunkId, rank: 1, label: 'relevant' }],
        ['knowledge.relevance', { articleId: article(s.wifi, 2).articleId, chunkId: article(s.wifi, 2).chunkId, rank: 2, label: 'irrelevant' }],
      ]),
    ]);
    await new Promise((r) => setTimeout(r, 30));
    const [clock] = await server.database.query<{ now: string }>(`select to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as now`);
    between = clock!.now;
    await new Promise((r) => setTimeout(r, 30));

    // Second batch, created in February.
    const feb = (minute: number) => `2025-02-10T10:${String(minute).padStart(2, '0')}:00.000Z`;
    await send(agent, [
      // Refund: a tie (no pair), an edited reply citing [1], an outdated label later corrected to relevant.
      ...shown(s.refund, feb(0)),
      ...events(s.refund, feb(1), [
        ['preference', { candidateA: candidate(s.refund, 'A').id, candidateB: candidate(s.refund, 'B').id, choice: 'tie' }],
        ['adoption', { candidateId: candidate(s.refund, 'A').id, outcome: 'edited', finalText: 'Your refund reaches the original card within 5 business days [1]. Anything else?' }],
        ['knowledge.relevance', { articleId: article(s.refund, 2).articleId, chunkId: article(s.refund, 2).chunkId, rank: 2, label: 'outdated' }],
      ]),
      ...events(s.refund, feb(2), [
        ['knowledge.relevance', { articleId: article(s.refund, 2).articleId, chunkId: article(s.refund, 2).chunkId, rank: 2, label: 'relevant' }],
      ]),
      // Again: B slightly better, then changed to A better: only the later choice counts.
      ...shown(s.again, feb(3)),
      ...events(s.again, feb(4), [['preference', { candidateA: candidate(s.again, 'A').id, candidateB: candidate(s.again, 'B').id, choice: 'B_slightly_better' }]]),
      ...events(s.again, feb(5), [['preference', { candidateA: candidate(s.again, 'A').id, candidateB: candidate(s.again, 'B').id, choice: 'A_better' }]]),
      // Tone experiment: B sent verbatim with no explicit preference, so B is preferred over the A shown.
      ...shown(s.tone, feb(6), { experiment: { key: 'tone-test', arm: 'warm' } }),
      ...events(s.tone, feb(7), [
        [
          'adoption',
          {
            experiment: { key: 'tone-test', arm: 'warm' },
            candidateId: candidate(s.tone, 'B').id,
            outcome: 'verbatim',
            similarity: 1,
            editDistance: 0,
            finalText: candidate(s.tone, 'B').text,
          },
        ],
      ]),
      // Reset: an edited reply with nothing left after redaction (skipped), its top article outdated.
      ...shown(s.reset, feb(8)),
      ...events(s.reset, feb(9), [
        ['adoption', { candidateId: candidate(s.reset, 'A').id, outcome: 'edited', finalText: '[name], [email]\n[phone] [1]' }],
        ['knowledge.relevance', { articleId: article(s.reset, 1).articleId, chunkId: article(s.reset, 1).chunkId, rank: 1, label: 'outdated' }],
      ]),
    ]);
    // The billing team: both unusable (no pair), a partial reply, missing knowledge, an outdated article.
    await send(billingAgent, [
      ...shown(s.battery, feb(10)),
      ...events(s.battery, feb(11), [
        ['preference', { candidateA: candidate(s.battery, 'A').id, candidateB: candidate(s.battery, 'B').id, choice: null, bothUnusable: true }],
        ['adoption', { candidateId: candidate(s.battery, 'B').id, outcome: 'partial', similarity: 0.4, finalText: 'The valve takes two AA lithium batteries, sold in any shop.' }],
        ['knowledge.missing', { description: 'Nothing on volume pricing for landlords', proposedTitle: 'Volume pricing for landlords', category: 'pricing' }],
        ['knowledge.missing', { description: 'Landlords with many flats ask for a discount', proposedTitle: 'Volume pricing for landlord accounts', category: 'pricing' }],
        ['knowledge.missing', { description: 'Customers ask whether we ship to Canada | and how long it takes', proposedTitle: undefined }],
        ['knowledge.relevance', { articleId: article(s.battery, 1).articleId, chunkId: article(s.battery, 1).chunkId, rank: 1, label: 'outdated' }],
      ]),
    ]);
    // Another tenant, whose data no acme export may show.
    await send(otherAgent, [
      ...shown(s.globex, feb(12)),
      ...events(s.globex, feb(13), [
        ['preference', { candidateA: candidate(s.globex, 'A').id, candidateB: candidate(s.globex, 'B').id, choice: 'A_better' }],
        ['adoption', { candidateId: candidate(s.globex, 'A').id, outcome: 'verbatim', similarity: 1, editDistance: 0, finalText: candidate(s.globex, 'A').text }],
        ['knowledge.relevance', { articleId: 'gx-secret', rank: 1, label: 'outdated' }],
        ['knowledge.missing', { description: 'Globex needs a page on secret handshakes', proposedTitle: 'Globex secret handshakes' }],
      ]),
    ]);
  });
  afterAll(async () => server?.close());

  it('seeds suggestions whose two candidates differ and show several articles', () => {
    for (const seeded of Object.values(s)) {
      expect(candidate(seeded, 'A').text).not.toBe(candidate(seeded, 'B').text);
    }
    expect(s.wifi.response.articles.length).toBeGreaterThanOrEqual(3);
    expect(article(s.wifi, 1).articleId).toBe('kb-wifi');
  });

  describe('sft', () => {
    it('writes OpenAI chat fine-tuning lines: the generator prompt, then the reply sent', async () => {
      const { text, contentType } = await exportText(server, lead, 'sft');
      expect(contentType).toMatch(/^application\/x-ndjson/);
      const lines = parseJsonl(text, OpenAiSftLine);
      // wifi (verbatim), refund (edited), battery (partial), tone (verbatim); reset's reply is redacted away.
      expect(lines).toHaveLength(4);
      const answers = lines.map((l) => l.messages.at(-1)!.content);
      expect(answers).toContain(candidate(s.wifi, 'A').text);
      expect(answers).toContain(candidate(s.tone, 'B').text);
      expect(answers).not.toContain(candidate(s.refund, 'A').text);
      for (const line of lines) {
        expect(line.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
        expect(line.messages[0]!.content).toMatch(/customer support agent/);
      }
      const wifi = lines.find((l) => l.messages.at(-1)!.content === candidate(s.wifi, 'A').text)!;
      expect(wifi.messages[1]!.content).toContain(TICKETS.wifi.subject);
      // The articles shown are numbered with their full chunk text, as the generator had them.
      expect(wifi.messages[1]!.content).toContain('[1] Connect the thermostat to Wi-Fi');
      expect(wifi.messages[1]!.content).toContain(`${article(s.wifi, 1).snippet.slice(0, 40)}`);
    });

    it("uses the agent's final text as the target of an edited or partial reply", async () => {
      const lines = parseJsonl((await exportText(server, lead, 'sft')).text, OpenAiSftLine);
      const refund = lines.find((l) => l.messages[1]!.content.includes(TICKETS.refund.subject))!;
      expect(refund.messages.at(-1)!.content).toBe('Your refund reaches the original card within 5 business days [1]. Anything else?');
      const battery = lines.find((l) => l.messages[1]!.content.includes(TICKETS.battery.subject))!;
      expect(battery.messages.at(-1)!.content).toBe('The valve takes two AA lithium batteries, sold in any shop.');
    });

    it('keeps outcomes down to minOutcome', async () => {
      const count = async (minOutcome: string) => parseJsonl((await exportText(server, lead, 'sft', { minOutcome })).text, OpenAiSftLine).length;
      expect(await count('verbatim')).toBe(2);
      expect(await count('edited')).toBe(3);
      expect(await count('partial')).toBe(4);
    });
  });

  describe('preferences', () => {
    it('writes OpenAI preference lines with exactly the required fields', async () => {
      const { text } = await exportText(server, lead, 'preferences');
      const lines = parseJsonl(text, OpenAiPreferenceLine);
      // wifi (A much better), again (A better, the later choice), tone (B sent verbatim over A).
      expect(lines).toHaveLength(3);
      const pairs = lines.map((l) => [l.preferred_output[0].content, l.non_preferred_output[0].content]);
      expect(pairs).toContainEqual([candidate(s.wifi, 'A').text, candidate(s.wifi, 'B').text]);
      expect(pairs).toContainEqual([candidate(s.again, 'A').text, candidate(s.again, 'B').text]);
      expect(pairs).toContainEqual([candidate(s.tone, 'B').text, candidate(s.tone, 'A').text]);
      for (const line of lines) expect(line.input.messages.map((m) => m.role)).toEqual(['system', 'user']);
    });

    it('makes no pair of a tie, of "both unusable", or of a choice the agent replaced', async () => {
      const rows = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl' })).text, TrlRow);
      const suggestions = rows.map((r) => r.suggestion_id);
      expect(suggestions).not.toContain(s.refund.id);
      expect(suggestions).not.toContain(s.battery.id);
      expect(rows.filter((r) => r.suggestion_id === s.again.id)).toHaveLength(1);
    });

    it('keeps the strength as TRL columns and filters by minStrength and source', async () => {
      const rows = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl' })).text, TrlRow);
      const bySuggestion = Object.fromEntries(rows.map((r) => [r.suggestion_id, r]));
      expect(bySuggestion[s.wifi.id]).toMatchObject({ strength: 3, choice: 'A_much_better', source: 'preference' });
      expect(bySuggestion[s.again.id]).toMatchObject({ strength: 2, choice: 'A_better', source: 'preference' });
      expect(bySuggestion[s.again.id]!.chosen[0].content).toBe(candidate(s.again, 'A').text);
      expect(bySuggestion[s.tone.id]).toMatchObject({ strength: null, choice: null, source: 'adoption' });
      expect(bySuggestion[s.wifi.id]!.prompt.map((m) => m.role)).toEqual(['system', 'user']);

      const strong = parseJsonl((await exportText(server, lead, 'preferences', { minStrength: '3' })).text, OpenAiPreferenceLine);
      expect(strong.map((l) => l.preferred_output[0].content)).toEqual([candidate(s.wifi, 'A').text]);
      const two = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl', minStrength: '2' })).text, TrlRow);
      expect(two.map((r) => r.strength).sort()).toEqual([2, 3]);
      const adoption = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl', source: 'adoption' })).text, TrlRow);
      expect(adoption.map((r) => r.suggestion_id)).toEqual([s.tone.id]);
      const explicit = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl', source: 'preference' })).text, TrlRow);
      expect(explicit.map((r) => r.source)).toEqual(['preference', 'preference']);
    });

    it('writes TRL plain-text rows', async () => {
      const rows = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl-text' })).text, TrlTextRow);
      expect(rows).toHaveLength(3);
      const wifi = rows.find((r) => r.suggestion_id === s.wifi.id)!;
      expect(wifi.prompt).toContain(TICKETS.wifi.subject);
      expect(wifi.chosen).toBe(candidate(s.wifi, 'A').text);
    });
  });

  describe('retrieval', () => {
    it('writes TREC qrels from labels and from the citations of adopted replies', async () => {
      const { text, contentType } = await exportText(server, lead, 'retrieval');
      expect(contentType).toMatch(/^text\/plain/);
      const lines = text.trimEnd().split('\n');
      const qrels = new Map<string, number>();
      for (const line of lines) {
        const m = QRELS_LINE.exec(line);
        expect(m, line).not.toBeNull();
        qrels.set(`${m![1]} ${m![2]}`, Number(m![3]));
      }
      expect(qrels.get(`${s.wifi.id} ${article(s.wifi, 1).articleId}`)).toBe(2);
      // The label wins over a citation.
      expect(qrels.get(`${s.wifi.id} ${article(s.wifi, 2).articleId}`)).toBe(0);
      // The edited reply kept the marker [1]; the later label replaced "outdated".
      expect(qrels.get(`${s.refund.id} ${article(s.refund, 1).articleId}`)).toBe(2);
      expect(qrels.get(`${s.refund.id} ${article(s.refund, 2).articleId}`)).toBe(2);
      expect(qrels.get(`${s.battery.id} ${article(s.battery, 1).articleId}`)).toBe(0);
      // A verbatim reply's citations count as relevant.
      for (const n of candidate(s.tone, 'B').citations) {
        const cited = s.tone.response.articles.find((a) => a.n === n)!;
        expect(qrels.get(`${s.tone.id} ${cited.articleId}`)).toBe(2);
      }
      // No judgments, no query; no other tenant.
      expect([...qrels.keys()].some((k) => k.startsWith(s.again.id))).toBe(false);
      expect([...qrels.keys()].some((k) => k.startsWith(s.globex.id))).toBe(false);
    });

    it('writes the queries as TSV and JSONL, as retrieval built them from the ticket', async () => {
      const tsv = (await exportText(server, lead, 'retrieval', { format: 'queries' })).text;
      const rows = tsv.trimEnd().split('\n').map((l) => l.split('\t'));
      for (const row of rows) expect(row).toHaveLength(2);
      const wifiQuery = queryFromTicket({ subject: TICKETS.wifi.subject, messages: [{ author: 'customer', text: TICKETS.wifi.text }] });
      expect(rows).toContainEqual([s.wifi.id, wifiQuery.replace(/\s+/g, ' ')]);
      const jsonl = parseJsonl((await exportText(server, lead, 'retrieval', { format: 'queries-jsonl' })).text, QueryJsonLine);
      expect(jsonl.find((q) => q._id === s.wifi.id)?.text).toBe(wifiQuery);
      expect(jsonl.map((q) => q._id).sort()).toEqual(rows.map((r) => r[0]).sort());
    });

    it('writes (query, positive, negative) triplets with passage texts', async () => {
      const triplets = parseJsonl((await exportText(server, lead, 'retrieval', { format: 'triplets' })).text, TripletLine);
      expect(triplets.length).toBeGreaterThan(0);
      const wifiQuery = queryFromTicket({ subject: TICKETS.wifi.subject, messages: [{ author: 'customer', text: TICKETS.wifi.text }] });
      const wifi = triplets.filter((t) => t.query === wifiQuery);
      expect(wifi.length).toBeGreaterThan(0);
      // The labelled irrelevant article is the wifi query's negative; the labelled relevant one a positive.
      const irrelevantTitle = KB.find((a) => a.id === article(s.wifi, 2).articleId)!.title;
      for (const t of wifi) expect(t.negative.startsWith(irrelevantTitle)).toBe(true);
      expect(wifi.some((t) => t.positive.startsWith('Connect the thermostat to Wi-Fi'))).toBe(true);
      for (const t of triplets) expect(t.positive).not.toBe(t.negative);
    });
  });

  describe('kb-gaps', () => {
    it('clusters missing-knowledge flags with tickets where nothing shown was relevant, as Markdown', async () => {
      const { text, contentType } = await exportText(server, lead, 'kb-gaps');
      expect(contentType).toMatch(/^text\/markdown/);
      expect(text).toMatch(/^# Knowledge-base gap report/);
      // Flags: two on volume pricing, one on Canada, all on the battery ticket (labelled outdated only).
      // Nothing relevant: battery and reset; refund's outdated label was corrected to relevant.
      expect(text).toMatch(/## Missing knowledge: 3 flags and 2 tickets with nothing relevant in 3 clusters, 0 likely retrieval misses, 0 covered/);
      expect(text).toContain('Covered: a cluster is covered when');
      expect(text).toMatch(/\| 1 \| Volume pricing for landlord(s| accounts) \| 2 \| 1 \| 1 \| no \| .* \| pricing \(2\) \| b-3 \|/);
      expect(text).toMatch(/\| 2 \| Customers ask whether we ship to Canada \\\| and how long it takes \| 1 \| 1 \| 1 \| no \|/);
      // The reset ticket, unflagged, clusters on its query; its closest article is the reset article.
      expect(text).toMatch(/\| 3 \| Reset the thermostat — How do I reset the thermostat to factory settings\? \| 0 \| 1 \| 1 \| no \| Factory reset the thermostat<br>/);
      const outdated = text.slice(text.indexOf('## Outdated articles'));
      expect(outdated).toContain(`| ${article(s.battery, 1).articleId} |`);
      expect(outdated).toContain(`| ${article(s.reset, 1).articleId} |`);
      expect(text).not.toMatch(/Globex|gx-secret/);
    });

    it('reports the same as CSV', async () => {
      const { text, contentType } = await exportText(server, lead, 'kb-gaps', { format: 'csv' });
      expect(contentType).toMatch(/^text\/csv/);
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual(KB_GAP_CSV_COLUMNS);
      for (const row of rows) expect(row).toHaveLength(KB_GAP_CSV_COLUMNS.length);
      const missing = rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]]))).filter((r) => r.section === 'missing');
      expect(missing.map((r) => [r.flags, r.no_relevant_tickets, r.tickets, r.covered])).toEqual([
        ['2', '1', '1', 'no'],
        ['1', '1', '1', 'no'],
        ['0', '1', '1', 'no'],
      ]);
      expect(missing[1]!.title).toBe('Customers ask whether we ship to Canada | and how long it takes');
      expect(missing[2]!.closest_articles!.split('; ')).toHaveLength(3);
      expect(missing[2]!.closest_articles!.split('; ')[0]).toBe('kb-reset');
      expect(missing[2]!.closest_titles!.split('; ')[0]).toBe('Factory reset the thermostat');
      const outdated = rows.filter((r) => r[0] === 'outdated');
      expect(outdated.map((r) => r[1]).sort()).toEqual([article(s.battery, 1).articleId, article(s.reset, 1).articleId].sort());
      for (const row of outdated) expect(Number(row[3])).toBeGreaterThanOrEqual(1);
    });

    it('marks a cluster covered once an article written after it answers its flags', async () => {
      const pricing = {
        id: 'kb-volume-pricing',
        title: 'Volume pricing for landlords',
        body: 'Landlords with many flats get a volume discount: 10% off from ten thermostats, 20% from fifty; sales sends a quote.',
      };
      expect((await server.call('/v1/kb/articles', { token: admin, body: pricing })).status).toBe(201);
      try {
        const rows = parseCsv((await exportText(server, lead, 'kb-gaps', { format: 'csv' })).text);
        const header = rows[0]!;
        const missing = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))).filter((r) => r.section === 'missing');
        const volume = missing.find((r) => r.title!.startsWith('Volume pricing'))!;
        expect(volume).toMatchObject({ covered: 'yes', covered_by: 'kb-volume-pricing' });
        expect(volume.closest_articles!.split('; ')[0]).toBe('kb-volume-pricing');
        // The others are not answered by it: Canada shipping, and the reset ticket (its article is old).
        expect(missing.filter((r) => r.covered === 'yes')).toHaveLength(1);
        const markdown = (await exportText(server, lead, 'kb-gaps')).text;
        expect(markdown).toMatch(/in 3 clusters, 0 likely retrieval misses, 1 covered/);
        expect(markdown).toMatch(/\| Volume pricing for landlord(s| accounts) \| 2 \| 1 \| 1 \| yes: Volume pricing for landlords \|/);
      } finally {
        expect((await server.call('/v1/kb/articles/kb-volume-pricing', { token: admin, method: 'DELETE' })).status).toBeLessThan(300);
      }
    });

    it('tells a likely retrieval miss (similar tickets found an article relevant) from a gap', async () => {
      // Worded like the wifi ticket, whose agent found the wifi article relevant; here nothing shown was.
      const miss = await suggestFor(billingAgent, 'w-7', { subject: 'Thermostat will not join the wifi', text: 'The ring never blinks blue when pairing the thermostat with my router.' });
      const feb = '2025-02-10T11:00:00.000Z';
      await send(billingAgent, [
        ...shown(miss, feb),
        ...events(
          miss,
          feb,
          miss.response.articles.map((a): [AnnotationEventInput['type'], Record<string, unknown>] => ['knowledge.relevance', { articleId: a.articleId, chunkId: a.chunkId, rank: a.rank, label: 'irrelevant' }]),
        ),
      ]);
      const rows = parseCsv((await exportText(server, lead, 'kb-gaps', { format: 'csv' })).text);
      const header = rows[0]!;
      const missing = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))).filter((r) => r.section === 'missing');
      // Listed after the likely gaps.
      expect(missing.map((r) => r.retrieval_miss)).toEqual(['no', 'no', 'no', 'yes']);
      expect(missing[3]).toMatchObject({ example_tickets: 'w-7', similar_answered_tickets: '1', answered_by: 'kb-wifi' });
      const markdown = (await exportText(server, lead, 'kb-gaps')).text;
      expect(markdown).toMatch(/in 4 clusters, 1 likely retrieval miss, 0 covered/);
      expect(markdown).toMatch(/\| 4 \| Thermostat will not join the wifi — .* \| \*\*likely retrieval miss\*\*: 1, by Connect the thermostat to Wi-Fi \(1\) \|/);
    });
  });

  describe('filters', () => {
    const sftAnswers = async (query: Record<string, string>) =>
      parseJsonl((await exportText(server, lead, 'sft', query)).text, OpenAiSftLine).map((l) => l.messages.at(-1)!.content);

    it('by time: created (the agent) or received (the server), from inclusive, to exclusive', async () => {
      expect(await sftAnswers({ time: 'created', from: '2025-02-01' })).toHaveLength(3);
      expect(await sftAnswers({ time: 'created', to: '2025-02-01' })).toEqual([candidate(s.wifi, 'A').text]);
      expect(await sftAnswers({ time: 'created', from: '2025-02-10T10:07:00Z', to: '2025-02-10T10:07:00.001Z' })).toEqual([candidate(s.tone, 'B').text]);
      expect(await sftAnswers({ from: between })).toHaveLength(3);
      expect(await sftAnswers({ to: between })).toEqual([candidate(s.wifi, 'A').text]);
      expect(await sftAnswers({ to: '2001-01-01' })).toEqual([]);
    });

    it('by team, named by slug or id', async () => {
      const battery = ['The valve takes two AA lithium batteries, sold in any shop.'];
      expect(await sftAnswers({ team: 'billing' })).toEqual(battery);
      expect(await sftAnswers({ team: billingTeamId })).toEqual(battery);
      expect(await sftAnswers({ team: 'support' })).toHaveLength(3);
      const gaps = (await exportText(server, lead, 'kb-gaps', { team: 'support', format: 'csv' })).text;
      // The support team flagged nothing; its one ticket with nothing relevant is the reset ticket.
      const missing = parseCsv(gaps).filter((r) => r[0] === 'missing');
      expect(missing.map((r) => r[2])).toEqual(['Reset the thermostat — How do I reset the thermostat to factory settings?']);
    });

    it('by experiment and arm', async () => {
      expect(await sftAnswers({ experiment: 'tone-test' })).toEqual([candidate(s.tone, 'B').text]);
      expect(await sftAnswers({ experiment: 'baseline', arm: 'pairwise' })).toHaveLength(3);
      expect(await sftAnswers({ experiment: 'baseline', arm: 'other' })).toEqual([]);
      const pairs = parseJsonl((await exportText(server, lead, 'preferences', { format: 'trl', experiment: 'tone-test' })).text, TrlRow);
      expect(pairs.map((p) => p.suggestion_id)).toEqual([s.tone.id]);
    });
  });

  describe('access', () => {
    it('keeps tenants apart', async () => {
      const own = parseJsonl((await exportText(server, otherLead, 'sft')).text, OpenAiSftLine);
      expect(own.map((l) => l.messages.at(-1)!.content)).toEqual([candidate(s.globex, 'A').text]);
      expect(own[0]!.messages[1]!.content).toContain('Globex thermostat secret');
      const theirs = (await exportText(server, otherLead, 'preferences', { format: 'trl' })).text;
      expect(parseJsonl(theirs, TrlRow).map((r) => r.suggestion_id)).toEqual([s.globex.id]);
      expect((await exportText(server, otherLead, 'retrieval')).text).toBe(`${s.globex.id} 0 gx-secret 0\n`);
      const gaps = (await exportText(server, otherLead, 'kb-gaps')).text;
      expect(gaps).toContain('Globex secret handshakes');
      expect(gaps).not.toContain('Volume pricing');
      for (const kind of ['sft', 'preferences', 'retrieval']) {
        const acme = (await exportText(server, lead, kind)).text;
        expect(acme).not.toContain(s.globex.id);
        expect(acme).not.toContain('Globex');
      }
      // A token cannot name another tenant.
      const res = await server.call('/v1/admin/exports/sft?tenant=globex', { token: lead });
      expect(res.status).toBe(403);
    });

    it('lets leads and admins export, not agents', async () => {
      expect((await server.call('/v1/admin/exports/sft', { token: agent })).status).toBe(403);
      expect((await server.call('/v1/admin/exports/sft')).status).toBe(401);
      expect((await exportText(server, admin, 'kb-gaps', { format: 'csv' })).text).toMatch(/^section,/);
    });

    it('answers 400 naming the parameter for bad input', async () => {
      const bad = async (path: string) => {
        const res = await server.call(path, { token: lead });
        expect(res.status).toBe(400);
        return res.body.error as string;
      };
      expect(await bad('/v1/admin/exports/everything')).toMatch(/^kind: /);
      expect(await bad('/v1/admin/exports/sft?format=csv')).toMatch(/^format: sft exports as openai/);
      expect(await bad('/v1/admin/exports/sft?from=yesterday')).toMatch(/^from: /);
      expect(await bad('/v1/admin/exports/sft?from=2025-02-01&to=2025-01-01')).toMatch(/^to: must be later than from/);
      expect(await bad('/v1/admin/exports/preferences?minStrength=5')).toMatch(/^minStrength: /);
      expect(await bad('/v1/admin/exports/sft?minStrength=2')).toMatch(/^minStrength: only preferences exports/);
      expect(await bad('/v1/admin/exports/preferences?minStrength=2&source=adoption')).toMatch(/^minStrength: adoption pairs have no strength/);
      expect(await bad('/v1/admin/exports/sft?time=sent')).toMatch(/^time: /);
      expect(await bad('/v1/admin/exports/sft?arm=A')).toMatch(/^arm: an arm needs its experiment/);
      expect(await bad('/v1/admin/exports/sft?team=nobody')).toMatch(/^team: no team "nobody"/);
      expect(await bad('/v1/admin/exports/sft?promptVersion=v9')).toMatch(/^promptVersion: unknown prompt version/);
      expect(await bad('/v1/admin/exports/sft?colour=blue')).toMatch(/colour/);
    });
  });

  it('streams in pages: the same output whatever the page size', async () => {
    const acme = (await server.database.query<{ id: string }>(`select id::text as id from tenants where slug = 'acme'`))[0]!.id;
    const now = new Date('2025-03-01T00:00:00Z');
    const requests: ExportRequestInput[] = [
      { kind: 'sft' },
      { kind: 'preferences', format: 'trl' },
      { kind: 'retrieval' },
      { kind: 'retrieval', format: 'triplets' },
      { kind: 'kb-gaps', format: 'markdown' },
    ];
    for (const input of requests) {
      const request = ExportRequest.parse(input);
      const read = async (pageSize: number) => {
        let text = '';
        let pieces = 0;
        for await (const chunk of (await createExport(server.database, acme, request, { pageSize, now })).chunks) {
          text += chunk;
          pieces++;
        }
        return { text, pieces };
      };
      const whole = await read(500);
      const paged = await read(1);
      expect(paged.text, input.kind).toBe(whole.text);
      if (input.kind === 'sft') expect(paged.pieces).toBe(4);
    }
  });
});

describe('loopdesk export (CLI on PGlite)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function loopdesk(args: string[], dir: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, LOOPDESK_DATA_DIR: dir };
    delete env.DATABASE_URL;
    return run(process.execPath, ['bin/loopdesk.mjs', ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  }

  it('streams through the running server, and opens the database itself when none runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-export-'));
    dirs.push(dir);
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: dir, databaseUrl: undefined });
    let suggestion: SuggestResponse;
    try {
      const db = server.database.db;
      const admin = await createToken(db, { tenant: 'acme', team: 'support', role: 'admin', name: 'ada' });
      const call = (path: string, token: string, body: unknown) =>
        fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      for (const a of KB) expect((await call('/v1/kb/articles', admin, a)).status).toBe(201);
      const suggested = await call('/v1/suggest', admin, {
        helpdesk: 'zendesk',
        ticketId: 'w-1',
        subject: TICKETS.wifi.subject,
        messages: [{ author: 'customer', text: TICKETS.wifi.text }],
      });
      suggestion = SuggestResponse.parse(await suggested.json());
      const [a, b] = suggestion.candidates;
      const batch = [
        sampleEvent('preference', suggestion.suggestionId, { ticketId: 'w-1', candidateA: a!.id, candidateB: b!.id, choice: 'B_better' }),
        sampleEvent('adoption', suggestion.suggestionId, { ticketId: 'w-1', candidateId: a!.id, outcome: 'edited', finalText: 'Hold the dial for five seconds, then choose your network.' }),
        sampleEvent('knowledge.missing', suggestion.suggestionId, { ticketId: 'w-1', description: 'Nothing about mesh routers', proposedTitle: 'Mesh routers' }),
      ];
      const stored = await call('/v1/events', admin, { events: batch });
      expect((await stored.json()).results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);

      const viaServer = await loopdesk(['export', 'sft', '--tenant', 'acme'], dir);
      const sft = parseJsonl(viaServer.stdout, OpenAiSftLine);
      expect(sft.map((l) => l.messages.at(-1)!.content)).toEqual(['Hold the dial for five seconds, then choose your network.']);
      expect(viaServer.stderr).toMatch(/exported sft \(openai\): 1 lines/);

      const failed = loopdesk(['export', 'sft', '--tenant', 'acme', '--team', 'nobody'], dir);
      await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/server answered 400: team: no team "nobody"/) });
    } finally {
      await server.close();
    }

    const out = join(dir, 'prefs.jsonl');
    const direct = await loopdesk(['export', 'preferences', '--tenant', 'acme', '--format', 'trl', '--out', out], dir);
    expect(direct.stdout).toBe('');
    expect(direct.stderr).toMatch(new RegExp(`exported preferences \\(trl\\): 1 lines, \\d+ bytes to ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    const rows = parseJsonl(readFileSync(out, 'utf8'), TrlRow);
    expect(rows.map((r) => [r.chosen[0].content, r.strength])).toEqual([[suggestion.candidates[1]!.text, 2]]);
    expect(existsSync(`${out}.partial`)).toBe(false);

    const gaps = await loopdesk(['export', 'kb-gaps', '--tenant', 'acme', '--format', 'csv', '--from', '2000-01-01'], dir);
    expect(parseCsv(gaps.stdout).filter((r) => r[0] === 'missing').map((r) => r[2])).toEqual(['Mesh routers']);

    await expect(loopdesk(['export', 'sft', '--tenant', 'acme', '--from', 'yesterday'], dir)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--from: expected an ISO 8601 date/),
    });
    await expect(loopdesk(['export', 'sft', '--tenant', 'nobody'], dir)).rejects.toMatchObject({
      stderr: expect.stringMatching(/tenant: no tenant "nobody"/),
    });
  });
});
