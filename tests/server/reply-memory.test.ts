import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { TicketContext } from '../../lib/contract';
import { buildMessages } from '../../server/generation/prompt';
import { REPLY_MEMORY_KIND, ReplyMemory, replyTokenF1, termCounts } from '../../server/generation/reply-memory';
import { models } from '../../server/db/schema';
import { stemmedLexemes } from '../../server/retrieval/learned';
import { promptMessages, SUGGESTION_COLUMNS, type StoredSuggestion } from '../../server/exports/context';
import { startFakeOpenAI, type ChatMessage, type FakeOpenAI } from '../support/fake-openai';
import { upsertArticles } from '../../server/kb/store';
import { ensureTenant } from '../../server/tenancy';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

describe('reply memory pieces', () => {
  it('scores token F1 the SQuAD way: case, punctuation, citation marks and articles do not count', () => {
    expect(replyTokenF1('The pump is RED [1].', 'a pump is red!')).toBe(1);
    expect(replyTokenF1('pump red', 'pump blue')).toBe(0.5);
    expect(replyTokenF1('anything', 'nothing')).toBe(0);
  });

  it('finds past tickets that share enough of the new one’s words, and never an excluded one', () => {
    const memory = new ReplyMemory('m', 1, {
      minOverlap: 0.5,
      entries: [
        { suggestionId: 's1', terms: termCounts(['pair', 'halo', 'app']), reply: 'Tap Add device.', names: ['Halo'] },
        { suggestionId: 's2', terms: termCounts(['refund', 'order']), reply: 'Refunds take five days.', names: [] },
      ],
    });
    expect(memory.nearest(['pair', 'halo']).map((e) => e.reply)).toEqual(['Tap Add device.']);
    expect(memory.nearest(['pair', 'boiler', 'pressure', 'valve'])).toEqual([]);
    expect(memory.nearest(['pair', 'halo'], 3, (e) => e.suggestionId === 's1')).toEqual([]);
  });

  it('shows past replies only in the examples-v1 prompt; older versions are unchanged', () => {
    const ticket = { helpdesk: 'zendesk', ticketId: 't', subject: 'Pairing', messages: [{ author: 'customer', text: 'How do I pair it?' }], tags: [] } as unknown as TicketContext;
    const articles = [{ n: 1, rank: 1, articleId: 'a', chunkId: 'a#0', title: 'Pairing', score: 1, url: null, snippet: '', content: 'Hold the button.' }];
    const examples = [{ reply: 'Open the app and tap Add device.', names: [], overlap: 1, score: 1 }];
    for (const version of ['concise-v1', 'warm-v1'] as const) expect(buildMessages(version, ticket, articles, examples)).toEqual(buildMessages(version, ticket, articles));
    const withExamples = JSON.stringify(buildMessages('examples-v1', ticket, articles, examples));
    expect(withExamples).toContain('Open the app and tap Add device.');
    expect(JSON.stringify(buildMessages('examples-v1', ticket, articles))).not.toContain('Example 1');
  });
});

/**
 * Six kinds of question, five tickets each, every one answered by an agent who adopted a suggestion
 * and sent the team's usual reply for that kind. One unrelated article answers a question nobody
 * asked before.
 */
const TOPICS = [
  { words: 'pair the Halo thermostat with the phone app', reply: 'Open the Brightnest app, tap Add device and hold the Halo dial until it blinks blue. Happy to help further!' },
  { words: 'refund for a returned order', reply: 'Refunds reach your card within five working days of the return arriving. Anything else I can do?' },
  { words: 'boiler pressure gauge is low', reply: 'Top the boiler up to 1.5 bar with the filling loop and let us know if it drops again.' },
  { words: 'change the heating schedule for weekends', reply: 'In the app go to Schedule, pick Saturday and Sunday and drag the blocks to the times you want.' },
  { words: 'replace the batteries in the radiator valve', reply: 'Twist the valve cap off, swap in two AA batteries and it reconnects within a minute.' },
  { words: 'invite a family member to the home account', reply: 'Under Home settings choose Members, then Invite, and they get an email with a link.' },
];
const ARTICLES = [
  { id: 'kb-pair', title: 'Pairing the Halo', body: 'To pair the Halo thermostat, open the app and choose Add device. Hold the dial for five seconds.' },
  { id: 'kb-refund', title: 'Refunds', body: 'We refund returned orders to the original card. The refund is issued when the return arrives.' },
  { id: 'kb-boiler', title: 'Boiler pressure', body: 'Low boiler pressure gauge readings are fixed with the filling loop. Aim for 1 to 1.5 bar.' },
  { id: 'kb-schedule', title: 'Heating schedules', body: 'The heating schedule has blocks per day. Weekends can have their own schedule.' },
  { id: 'kb-valve', title: 'Radiator valve batteries', body: 'The radiator valve runs on two AA batteries. Replace the batteries when the light flashes red.' },
  { id: 'kb-members', title: 'Home members', body: 'Invite a family member from Home settings. Each member has their own login to the home account.' },
  { id: 'kb-frost', title: 'Frost protection', body: 'Frost protection switches the heating on below five degrees. Turn frost protection off in Away mode.' },
];

const ticket = (ticketId: string, text: string) => ({ helpdesk: 'zendesk', ticketId, messages: [{ author: 'customer', text }] });

describe.each(DATABASE_KINDS)('reply memory learned by the flywheel (%s)', (kind) => {
  let server: TestServer;
  let agent: string;
  let admin: string;
  const similar = ticket('new-1', 'Hello, how can I pair my Halo thermostat with the app on my new phone?');
  const unrelated = ticket('new-2', 'Does frost protection stay on while I am away in Away mode?');
  const replyTo = async (body: unknown) => {
    const res = await server.call('/v1/suggest', { token: agent, body });
    expect(res.status).toBe(200);
    return res.body as { suggestionId: string; candidates: { id: string; text: string }[] };
  };
  let before: { similar: string[]; unrelated: string[] };

  beforeAll(async () => {
    server = await startTestServer(kind);
    agent = await server.token('agent');
    admin = await server.token('admin');
    await upsertArticles(server.database.db, await ensureTenant(server.database.db, 'acme'), ARTICLES);
    before = { similar: (await replyTo(similar)).candidates.map((c) => c.text), unrelated: (await replyTo(unrelated)).candidates.map((c) => c.text) };
    const openings = ['Hi, please help me', 'Quick question:', 'I need to', 'Can you tell me how to', 'Hello, I want to'];
    for (const [t, topic] of TOPICS.entries()) {
      for (const [o, opening] of openings.entries()) {
        const res = await replyTo(ticket(`t-${t}-${o}`, `${opening} ${topic.words}${o % 2 ? ' today' : ''}?`));
        const common = { schemaVersion: 1, helpdesk: 'zendesk', ticketId: `t-${t}-${o}`, suggestionId: res.suggestionId, experiment: null, clientVersion: 'test' };
        const events = [
          {
            ...common,
            id: uuidv7(),
            type: 'adoption',
            createdAt: new Date().toISOString(),
            candidateId: res.candidates[0]!.id,
            insertMethod: 'insert',
            outcome: 'edited',
            similarity: 0.6,
            editDistance: 12,
            timeToSendMs: 20_000,
            sendPath: 'button',
            finalText: topic.reply,
          },
        ];
        expect((await server.call('/v1/events', { token: agent, body: { events } })).body.results[0].status).toBe('accepted');
      }
    }
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('without a promoted memory, replies are composed as before', async () => {
    // Thirty adopted replies are stored, but nothing is promoted yet: the same tickets get the same replies.
    expect((await replyTo(similar)).candidates.map((c) => c.text)).toEqual(before.similar);
    expect((await replyTo(unrelated)).candidates.map((c) => c.text)).toEqual(before.unrelated);
    expect(before.similar[0]).toMatch(/^Hi there,/);
  });

  it('learns, gates and promotes a reply memory that changes replies to similar tickets only', async () => {
    const run = await server.call('/v1/admin/flywheel/run', { token: admin, body: {} });
    expect(run.status).toBe(200);
    const g = run.body.generation;
    expect(g.trainedOn.adoptedReplies).toBe(TOPICS.length * 5);
    expect(g.heldOut.current.version).toBeNull();
    expect(g.heldOut.candidate.tokenF1).toBeGreaterThan(g.heldOut.current.tokenF1);
    expect(g.status).toBe('promoted');

    const after = await replyTo(similar);
    expect(after.candidates[0]!.text).not.toEqual(before.similar[0]);
    expect(after.candidates[0]!.text).toContain('tap Add device and hold the Halo dial');
    // Still grounded: the article sentence comes with its citation.
    expect(after.candidates[0]!.text).toMatch(/\[1\]$/);
    const [row] = await server.database.query<{ generation: { replyMemory?: { version: number } }[] }>(`select generation from suggestions where id = $1`, [after.suggestionId]);
    expect(row!.generation[0]!.replyMemory?.version).toBe(g.version);
    expect((await replyTo(unrelated)).candidates.map((c) => c.text)).toEqual(before.unrelated);

    const list = await server.call('/v1/admin/flywheel/models?kind=reply-memory', { token: admin });
    expect(list.body.map((m: { version: number; status: string }) => [m.version, m.status])).toEqual([[1, 'promoted']]);
  }, 120_000);

  it('rolls the memory back to none: replies are as before again', async () => {
    const back = await server.call('/v1/admin/flywheel/rollback?kind=reply-memory', { token: admin, body: {} });
    expect(back.status).toBe(200);
    expect(back.body.promoted).toBeNull();
    expect((await replyTo(similar)).candidates.map((c) => c.text)).toEqual(before.similar);
    expect((await server.call('/v1/admin/flywheel/rollback?kind=nonsense', { token: admin, body: {} })).status).toBe(400);
  }, 60_000);
});

describe.each(DATABASE_KINDS)('reply memory with a language model (%s)', (kind) => {
  let fake: FakeOpenAI;
  let server: TestServer;
  let agent: string;
  let admin: string;
  const PAST = 'Open the Brightnest app, tap Add device and hold the Halo dial until it blinks blue.';

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test' });
    server = await startTestServer(kind, {
      env: {
        LOOPDESK_LLM_BASE_URL: fake.url,
        LOOPDESK_LLM_API_KEY: 'sk-test',
        LOOPDESK_GENERATION_PROFILES: JSON.stringify([
          { arm: 'A', promptVersion: 'examples-v1', model: 'fake-examples', temperature: 0.1, maxTokens: 300 },
          { arm: 'B', promptVersion: 'concise-v1', model: 'fake-concise', temperature: 0.1, maxTokens: 300 },
        ]),
      },
    });
    const tenantId = await ensureTenant(server.database.db, 'acme');
    await upsertArticles(server.database.db, tenantId, ARTICLES);
    agent = await server.token('agent');
    admin = await server.token('admin');
    // A memory version written as the flywheel writes one, then promoted through the admin API.
    const [lexemes] = await stemmedLexemes(server.database, ['how do I pair the Halo thermostat with the phone app']);
    const id = randomUUID();
    await server.database.db.insert(models).values({
      id,
      tenantId,
      kind: REPLY_MEMORY_KIND,
      version: 1,
      params: { minOverlap: 0.3, entries: [{ suggestionId: randomUUID(), terms: termCounts(lexemes!), reply: PAST, names: ['Halo'] }] },
      metrics: {},
      status: 'candidate',
      trainedOn: {},
    });
    expect((await server.call(`/v1/admin/flywheel/models/${id}/promote`, { token: admin, body: {} })).body.kind).toBe(REPLY_MEMORY_KIND);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const promptOf = (model: string) => (fake.requests.find((r) => r.body.model === model)!.body.messages as ChatMessage[]).map((m) => m.content).join('\n');

  it('shows the similar past reply to the examples-v1 arm only, and none for an unrelated ticket', async () => {
    fake.requests.length = 0;
    const res = await server.call('/v1/suggest', { token: agent, body: ticket('llm-1', 'How can I pair my Halo thermostat with the app?') });
    expect(res.status).toBe(200);
    expect(promptOf('fake-examples')).toContain(PAST);
    expect(promptOf('fake-concise')).not.toContain(PAST);
    // Exports rebuild the prompt the examples-v1 arm was sent, examples included.
    const [stored] = await server.database.query<StoredSuggestion>(`select ${SUGGESTION_COLUMNS} from suggestions s where s.id = $1`, [res.body.suggestionId]);
    expect(promptMessages(stored!, 'examples-v1', new Map()).map((m) => m.content).join('\n')).toContain(PAST);
    expect(promptMessages(stored!, 'concise-v1', new Map()).map((m) => m.content).join('\n')).not.toContain(PAST);
    fake.requests.length = 0;
    expect((await server.call('/v1/suggest', { token: agent, body: ticket('llm-2', 'Does frost protection stay on in Away mode?') })).status).toBe(200);
    expect(promptOf('fake-examples')).not.toContain('Replies agents sent to similar tickets');
  }, 60_000);
});
