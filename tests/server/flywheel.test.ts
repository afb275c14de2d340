import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beats, buildExpansion, fitLogistic, heldOutMetrics, splitHeldOut, type JudgedQuery } from '../../server/flywheel/learn';
import { FEATURES, LearnedRetrieval } from '../../server/retrieval/learned';
import { upsertArticles } from '../../server/kb/store';
import { ensureTenant } from '../../server/tenancy';
import type { AnnotationEventInput } from '../../lib/contract';
import { sampleEvent } from '../support/events';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const q = (qid: string, query: string, grades: [string, number][]): JudgedQuery => ({ qid, query, grades: new Map(grades) });

describe('flywheel learning', () => {
  it('fits a logistic regression that separates positives, and gives a constant feature no weight', () => {
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 200; i++) {
      const positive = i % 4 === 0;
      const row = FEATURES.map(() => 0.5);
      row[0] = positive ? 0.8 + (i % 7) / 50 : 0.1 + (i % 5) / 50;
      row[1] = 1 + 1e-16 * (i % 3); // constant up to rounding
      x.push(row);
      y.push(positive ? 1 : 0);
    }
    const { reranker, loss } = fitLogistic(x, y);
    expect(reranker.weights[0]).toBeGreaterThan(1);
    expect(reranker.weights[1]).toBe(0);
    expect(loss).toBeLessThan(0.2);
  });

  it('builds expansion documents from positive labels only, and priors from all labels', () => {
    const queries = [q('1', 'renew passport', [['a', 2], ['b', 0]]), q('2', 'passport renewal fee', [['a', 1], ['c', 0]])];
    const lexemes = (j: JudgedQuery) => j.query.split(' ');
    const { expansion, priors } = buildExpansion(queries, lexemes);
    expect(expansion).toEqual([{ articleId: 'a', terms: { renew: 1, passport: 2, renewal: 1, fee: 1 } }]);
    expect(priors).toEqual({ a: [2, 2], b: [0, 1], c: [0, 1] });
    const model = new LearnedRetrieval('m', 1, { expansion, priors, reranker: { weights: FEATURES.map(() => 0), bias: 0, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1) } });
    expect(model.searchExpansion(['passport']).map((e) => e.articleId)).toEqual(['a']);
    expect(model.searchExpansion(['visa'])).toEqual([]);
  });

  it('splits held-out queries by ticket text, the same way every run', () => {
    const queries = Array.from({ length: 200 }, (_, i) => q(String(i), `question ${i % 100}`, [['a', 1]]));
    const first = splitHeldOut(queries);
    const again = splitHeldOut(queries);
    expect(first.heldOut.map((j) => j.qid)).toEqual(again.heldOut.map((j) => j.qid));
    expect(first.heldOut.length).toBeGreaterThan(10);
    expect(first.heldOut.length).toBeLessThan(80);
    // The same text never lands on both sides.
    const held = new Set(first.heldOut.map((j) => j.query));
    expect(first.train.some((j) => held.has(j.query))).toBe(false);
  });

  it('gates on a better MRR@8 without losing recall@75', () => {
    const base = { queries: 10, 'recall@75': 0.9, 'precision@8': 0.1, 'MRR@8': 0.5, 'nDCG@8': 0.5 };
    expect(beats({ ...base, 'MRR@8': 0.55 }, base)).toBe(true);
    expect(beats({ ...base, 'MRR@8': 0.5 }, base)).toBe(false);
    expect(beats({ ...base, 'MRR@8': 0.6, 'recall@75': 0.85 }, base)).toBe(false);
    const metrics = heldOutMetrics([q('1', 'x', [['a', 2], ['b', 0]])], () => ['b', 'a']);
    expect(metrics['MRR@8']).toBe(0.5);
    expect(metrics['recall@75']).toBe(1);
  });
});

/**
 * Thirty articles, each about one made-up word. Customers call each topic by a nickname the KB never
 * uses, next to the names of two other topics, so lexical retrieval cannot tell which of the three
 * is meant; agents' labels teach the flywheel the nicknames.
 */
const TOPICS = 30;
const word = (i: number) => `zorv${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}el`;
const nick = (i: number) => `quib${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}ot`;

/** What the suggestion showed, as the simulated agent reads it. */
interface ShownSuggestion {
  suggestionId: string;
  candidates: { id: string }[];
  articles: { articleId: string; chunkId: string; rank: number; n: number }[];
}

/**
 * A test server whose tenant `acme` holds the thirty guides, with an agent's and an admin's token;
 * the agent asks for a suggestion on three tickets per topic and sends what `eventsFor` makes of each.
 */
async function startNicknameServer(kind: (typeof DATABASE_KINDS)[number], eventsFor: (shown: ShownSuggestion, topic: number, ticketId: string) => AnnotationEventInput[]) {
  const server = await startTestServer(kind);
  const agent = await server.token('agent');
  const admin = await server.token('admin');
  await seedNicknameKb(server);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < TOPICS; i++) {
      const ticketId = `t-${round}-${i}`;
      const res = await server.call('/v1/suggest', { token: agent, body: { helpdesk: 'zendesk', ticketId, messages: [{ author: 'customer', text: nicknameTicket(i, round) }] } });
      expect(res.status).toBe(200);
      const sent = await server.call('/v1/events', { token: agent, body: { events: eventsFor(res.body as ShownSuggestion, i, ticketId) } });
      expect(sent.status).toBe(200);
      expect(sent.body.results.map((r: { status: string }) => r.status)).toEqual(sent.body.results.map(() => 'accepted'));
    }
  }
  return { server, agent, admin };
}

/** The thirty guides in the tenant `acme`. */
async function seedNicknameKb(server: TestServer) {
  const tenantId = await ensureTenant(server.database.db, 'acme');
  await upsertArticles(
    server.database.db,
    tenantId,
    Array.from({ length: TOPICS }, (_, i) => ({ id: `kb-${i}`, title: `Guide ${i}`, body: `How the ${word(i)} works and how to set up the ${word(i)}.` })),
  );
}

/** A ticket about topic i in its nickname, next to the names of two other topics. */
const nicknameTicket = (i: number, round: number) => `my ${nick(i)} broke, round ${round}: ${word((i + 1 + round) % TOPICS)} ${word(i)} ${word((i + 7 + round) % TOPICS)}`;

describe.each(DATABASE_KINDS)('flywheel run, promotion and rollback (%s)', (kind) => {
  let server: TestServer;
  let agent: string;
  let admin: string;

  beforeAll(async () => {
    // Simulated agents label every shown article.
    ({ server, agent, admin } = await startNicknameServer(kind, (shown, topic, ticketId) =>
      shown.articles.map((a) =>
        sampleEvent('knowledge.relevance', shown.suggestionId, {
          ticketId,
          experiment: null,
          articleId: a.articleId,
          chunkId: a.chunkId,
          rank: a.rank,
          label: a.articleId === `kb-${topic}` ? 'relevant' : 'irrelevant',
        }),
      ),
    ));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const topFor = async (query: string) => (await server.call('/v1/retrieve', { token: agent, body: { query, k: 5 } })).body.results.map((r: { articleId: string }) => r.articleId);

  it('learns the nicknames, promotes the version that beats retrieval without a model, and serves it', async () => {
    // Before: a nickname alone matches nothing.
    expect(await topFor(`${nick(4)} is broken`)).toEqual([]);
    const run = await server.call('/v1/admin/flywheel/run', { token: admin, body: {} });
    expect(run.status).toBe(200);
    expect(run.body.trainedOn.queries).toBe(3 * TOPICS);
    expect(run.body.heldOut.current.version).toBeNull();
    expect(run.body.heldOut.candidate['MRR@8']).toBeGreaterThan(run.body.heldOut.current['MRR@8']);
    expect(run.body.status).toBe('promoted');
    // After (the cache was invalidated by the promotion): the nickname finds its article.
    expect((await topFor(`${nick(4)} is broken`))[0]).toBe('kb-4');
    for (const i of [0, 11, 29]) expect((await topFor(`what about the ${nick(i)}?`))[0]).toBe(`kb-${i}`);
  }, 120_000);

  it('gates a second version against the promoted one; lists, promotes and rolls back', async () => {
    const second = await server.call('/v1/admin/flywheel/run', { token: admin, body: {} });
    expect(second.status).toBe(200);
    expect(second.body.heldOut.current.version).toBe(1);
    expect(second.body.status).toBe(beats(second.body.heldOut.candidate, second.body.heldOut.current) ? 'promoted' : 'candidate');
    const promoted = await server.call(`/v1/admin/flywheel/models/${second.body.modelId}/promote`, { token: admin, body: {} });
    expect(promoted.status).toBe(200);
    expect(promoted.body.status).toBe('promoted');
    const list = await server.call('/v1/admin/flywheel/models', { token: admin });
    expect(list.body.map((m: { version: number; status: string }) => [m.version, m.status])).toEqual([
      [2, 'promoted'],
      [1, 'retired'],
    ]);
    const back = await server.call('/v1/admin/flywheel/rollback', { token: admin, body: {} });
    expect(back.body.promoted.version).toBe(1);
    expect((await topFor(`${nick(4)} is broken`))[0]).toBe('kb-4');
    const none = await server.call('/v1/admin/flywheel/rollback', { token: admin, body: {} });
    expect(none.body.promoted).toBeNull();
    // No promoted model: retrieval is lexical alone again.
    expect(await topFor(`${nick(4)} is broken`)).toEqual([]);
    expect((await server.call('/v1/admin/flywheel/rollback', { token: admin, body: {} })).status).toBe(400);
    expect((await server.call('/v1/admin/flywheel/models/not-an-id/promote', { token: admin, body: {} })).status).toBe(400);
    expect((await server.call('/v1/admin/flywheel/run', { token: agent, body: {} })).status).toBe(403);
  }, 120_000);
});

/**
 * A team that never labels articles but adopts replies: the citations of what agents sent are the
 * only judgments. The learner must still learn (the candidates an agent passed over are its
 * negatives), not train on positives alone.
 */
describe.each(DATABASE_KINDS)('flywheel from adoptions alone (%s)', (kind) => {
  let server: TestServer;
  let agent: string;
  let admin: string;

  beforeAll(async () => {
    ({ server, agent, admin } = await startNicknameServer(kind, (shown, topic, ticketId) => {
      const right = shown.articles.find((a) => a.articleId === `kb-${topic}`);
      expect(right).toBeDefined();
      // The agent edits the first candidate into a reply that cites the right guide.
      return [
        sampleEvent('adoption', shown.suggestionId, {
          ticketId,
          experiment: null,
          candidateId: shown.candidates[0]!.id,
          finalText: `Here is how to fix it, see the guide [${right!.n}].`,
        }),
      ];
    }));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('learns from the cited articles and promotes a version that finds them', async () => {
    const run = await server.call('/v1/admin/flywheel/run', { token: admin, body: {} });
    expect(run.status).toBe(200);
    expect(run.body.trainedOn).toMatchObject({ queries: 3 * TOPICS, labels: 0, positives: 3 * TOPICS });
    expect(run.body.heldOut.candidate['MRR@8']).toBeGreaterThan(0.9);
    expect(run.body.status).toBe('promoted');
    const top = await server.call('/v1/retrieve', { token: agent, body: { query: `what about the ${nick(11)}?`, k: 5 } });
    expect(top.body.results[0].articleId).toBe('kb-11');
  }, 120_000);

  it('refuses a run request it cannot read, naming the field, and runs one without a body', async () => {
    const bad = await server.call('/v1/admin/flywheel/run', { token: admin, body: { annotationWeighting: 'no' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('annotationWeighting');
    // No body at all (what `loopdesk flywheel run` sends through a server) is the usual cycle; a body that is not JSON is refused.
    expect((await server.call('/v1/admin/flywheel/run', { method: 'POST', token: admin })).status).toBe(200);
    expect((await server.call('/v1/admin/flywheel/run', { token: admin, rawBody: '{not json', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });
});
