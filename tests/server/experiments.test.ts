import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  AgentAssignment,
  AuditLog,
  Experiment,
  ExperimentList,
  SuggestResponse,
  SuggestStreamEvent,
  type ExperimentArmInput,
  type ExperimentInput,
  type SuggestStreamMeta,
} from '../../lib/contract';
import { readSse } from '../../lib/sse';
import { etagMatches, jsonETag } from '../../server/http/etag';
import {
  agentAssignment,
  bucketOf,
  experimentFor,
  isInExperiment,
  pairwiseArmsFor,
  shouldAnnotate,
  singleArmFor,
  type AssignableExperiment,
} from '../../server/experiments/assignment';
import { experimentPollSecondsFromEnv } from '../../server/experiments/config';
import { ensureTenant } from '../../server/tenancy';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { importThermostatKb } from '../support/kb-fixture';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';


const TICKET = {
  helpdesk: 'zendesk',
  ticketId: '501',
  subject: 'Refund for my thermostat',
  messages: [{ author: 'customer', text: 'How long does a refund take to reach my card?' }],
  tags: [],
};

function arm(name: string, overrides: Partial<ExperimentArmInput> = {}): ExperimentArmInput {
  return { name, generation: { model: 'gpt-test', promptVersion: 'concise-v1', temperature: 0.2 }, ...overrides };
}

const armInputs = (names: string[]) => names.map((n, i) => arm(n, { generation: { model: 'gpt-test', promptVersion: i % 2 ? 'warm-v1' : 'concise-v1', temperature: 0.3 } }));

function assignable(overrides: Partial<AssignableExperiment> = {}): AssignableExperiment {
  return {
    key: 'tone',
    mode: 'single',
    status: 'running',
    trafficShare: 0.3,
    annotationSampling: 0.25,
    teams: [],
    arms: ['a', 'b', 'c'].map((name) => ({ name, generation: { model: 'm', promptVersion: 'concise-v1', temperature: 0, maxTokens: 500 }, reranker: 'promoted', retrieval: { k: 8 } })),
    revision: 1,
    ...overrides,
  };
}

const AGENT_IDS = Array.from({ length: 2_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

describe('assignment (pure)', () => {
  it('puts about the traffic share of agents in, and raising the share only adds agents', () => {
    const at30 = AGENT_IDS.filter((agentId) => isInExperiment(assignable(), { agentId, teamSlug: 'support' }));
    const at60 = AGENT_IDS.filter((agentId) => isInExperiment(assignable({ trafficShare: 0.6 }), { agentId, teamSlug: 'support' }));
    // Binomial(2000, 0.3): standard deviation ≈ 20.5, so ±80 is about 4σ.
    expect(Math.abs(at30.length - 600)).toBeLessThan(80);
    expect(Math.abs(at60.length - 1_200)).toBeLessThan(90);
    expect(at30.every((id) => at60.includes(id))).toBe(true);
    expect(AGENT_IDS.filter((agentId) => isInExperiment(assignable({ trafficShare: 0 }), { agentId, teamSlug: 'x' }))).toEqual([]);
    expect(AGENT_IDS.every((agentId) => isInExperiment(assignable({ trafficShare: 1 }), { agentId, teamSlug: 'x' }))).toBe(true);
  });

  it('is sticky: the same agent gets the same answer every time, and only running experiments of its team count', () => {
    const experiment = assignable({ trafficShare: 1 });
    for (const agentId of AGENT_IDS.slice(0, 50)) {
      const first = agentAssignment([experiment], { agentId, teamSlug: 'support' }, 30);
      expect(agentAssignment([experiment], { agentId, teamSlug: 'support' }, 30)).toEqual(first);
      expect(first.experiment?.arms).toEqual([singleArmFor(experiment, agentId).name]);
    }
    expect(experimentFor([assignable({ teams: ['billing'] })], { agentId: AGENT_IDS[0]!, teamSlug: 'support' })).toBeNull();
    expect(experimentFor([assignable({ status: 'paused', trafficShare: 1 })], { agentId: AGENT_IDS[0]!, teamSlug: 'support' })).toBeNull();
    // Another key is another draw: membership is not the same set of agents for every experiment.
    const inTone = AGENT_IDS.filter((agentId) => isInExperiment(assignable(), { agentId, teamSlug: 's' }));
    const inOther = AGENT_IDS.filter((agentId) => isInExperiment(assignable({ key: 'other' }), { agentId, teamSlug: 's' }));
    expect(inTone).not.toEqual(inOther);
  });

  it('spreads single-mode arms evenly and draws distinct pairs from the suggestion id', () => {
    const experiment = assignable();
    const counts = new Map<string, number>();
    for (const agentId of AGENT_IDS) counts.set(singleArmFor(experiment, agentId).name, (counts.get(singleArmFor(experiment, agentId).name) ?? 0) + 1);
    for (const name of ['a', 'b', 'c']) expect(Math.abs(counts.get(name)! - 667)).toBeLessThan(110);

    const pairs = new Map<string, number>();
    for (const id of AGENT_IDS) {
      const [left, right] = pairwiseArmsFor(experiment, id);
      expect(left.name).not.toBe(right.name);
      expect(pairwiseArmsFor(experiment, id)).toEqual([left, right]);
      pairs.set(`${left.name}+${right.name}`, (pairs.get(`${left.name}+${right.name}`) ?? 0) + 1);
    }
    // All six ordered pairs, each about a sixth of the time.
    expect(pairs.size).toBe(6);
    for (const n of pairs.values()) expect(Math.abs(n - 333)).toBeLessThan(90);
    const two = assignable({ arms: experiment.arms.slice(0, 2) });
    expect(pairwiseArmsFor(two, 'any').map((a) => a.name)).toEqual(['a', 'b']);
  });

  it('asks for labels at the sampling rate, deterministically per suggestion', () => {
    const asked = AGENT_IDS.filter((id) => shouldAnnotate(id, 0.25)).length;
    expect(Math.abs(asked - 500)).toBeLessThan(80);
    expect(AGENT_IDS.every((id) => shouldAnnotate(id, 1))).toBe(true);
    expect(AGENT_IDS.some((id) => shouldAnnotate(id, 0))).toBe(false);
    expect(bucketOf('x')).toBe(bucketOf('x'));
  });

  it('versions assignments by content and reads If-None-Match lists', () => {
    const a = agentAssignment([], { agentId: 'x', teamSlug: 's' }, 30);
    const etag = jsonETag(a);
    expect(jsonETag({ ...a })).toBe(etag);
    expect(jsonETag({ ...a, pollSeconds: 31 })).not.toBe(etag);
    expect(etagMatches(`"nope", ${etag}`, etag)).toBe(true);
    expect(etagMatches(`W/${etag}`, etag)).toBe(true);
    expect(etagMatches('"nope"', etag)).toBe(false);
    expect(etagMatches(undefined, etag)).toBe(false);
  });

  it('reads LOOPDESK_EXPERIMENT_POLL_SECONDS, refusing nonsense', () => {
    expect(experimentPollSecondsFromEnv({})).toBe(30);
    expect(experimentPollSecondsFromEnv({ LOOPDESK_EXPERIMENT_POLL_SECONDS: '5' })).toBe(5);
    expect(() => experimentPollSecondsFromEnv({ LOOPDESK_EXPERIMENT_POLL_SECONDS: '0.5' })).toThrow(/^LOOPDESK_EXPERIMENT_POLL_SECONDS:/);
  });
});

describe.each(DATABASE_KINDS)('experiments over HTTP on %s', (kind) => {
  let server: TestServer;
  let lead: string;
  let admin: string;
  let agent: string;
  let billingAgent: string;

  // Most cases target several teams or every team, which only an admin may change (lead scoping
  // has its own tests in isolation.test.ts).
  const create = (body: ExperimentInput, token = admin) => server.call('/v1/admin/experiments', { token, body });
  const patch = (key: string, body: unknown, token = admin) => server.call(`/v1/admin/experiments/${key}`, { method: 'PATCH', token, body });
  const suggestAs = async (token: string) => {
    const res = await server.call('/v1/suggest', { token, body: TICKET });
    expect(res.status).toBe(200);
    return SuggestResponse.parse(res.body);
  };
  const assignmentOf = async (token: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}/v1/experiments/assignment`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    return { status: response.status, etag: response.headers.get('etag'), body: response.status === 200 ? AgentAssignment.parse(await response.json()) : null };
  };

  beforeAll(async () => {
    server = await startTestServer(kind, { env: { LOOPDESK_EXPERIMENT_POLL_SECONDS: '2' } });
    await importThermostatKb(server.database, 'acme');
    lead = await server.token('lead', { name: 'lena' });
    admin = await server.token('admin', { name: 'ada', team: 'ops' });
    agent = await server.token('agent', { name: 'sam' });
    billingAgent = await server.token('agent', { name: 'bo', team: 'billing' });
  });
  afterAll(async () => server?.close());

  it('creates a draft with defaults, lists it and reads it back', async () => {
    const res = await create({ key: 'tone', mode: 'pairwise', arms: armInputs(['concise', 'warm']), description: 'Tone test' });
    expect(res.status).toBe(201);
    const created = Experiment.parse(res.body);
    expect(created).toMatchObject({ key: 'tone', status: 'draft', trafficShare: 1, annotationSampling: 1, teams: [], controlArm: 'concise', revision: 1 });
    expect(created.arms[0]).toMatchObject({ reranker: 'promoted', retrieval: { k: 8 }, generation: { maxTokens: 500 } });
    const list = ExperimentList.parse((await server.call('/v1/admin/experiments', { token: admin })).body);
    expect(list.experiments.map((e) => e.key)).toContain('tone');
    expect((await server.call('/v1/admin/experiments/tone', { token: lead })).body).toEqual(created);
    expect((await server.call('/v1/admin/experiments/nope', { token: lead })).status).toBe(404);
  });

  it('refuses agents with 403 on every lead route', async () => {
    for (const [path, method, body] of [
      ['/v1/admin/experiments', 'GET', undefined],
      ['/v1/admin/experiments', 'POST', { key: 'x', mode: 'single', arms: armInputs(['a']) }],
      ['/v1/admin/experiments/tone', 'GET', undefined],
      ['/v1/admin/experiments/tone', 'PATCH', { description: 'mine now' }],
      ['/v1/admin/experiments/tone/audit', 'GET', undefined],
      ['/v1/admin/audit', 'GET', undefined],
    ] as const) {
      const res = await server.call(path, { method, token: agent, body });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it('answers 400 with the zod path of bad arms', async () => {
    const badPrompt = await create({ key: 'bad', mode: 'pairwise', arms: [arm('a'), arm('b', { generation: { model: 'm', promptVersion: 'shouty-v9', temperature: 0 } })] });
    expect(badPrompt.status).toBe(400);
    expect(badPrompt.body.error).toMatch(/^arms\[1\]\.generation\.promptVersion: expected one of concise-v1, warm-v1/);
    const badTemperature = await create({ key: 'bad', mode: 'single', arms: [arm('a', { generation: { model: 'm', promptVersion: 'warm-v1', temperature: 3 } })] });
    expect(badTemperature.status).toBe(400);
    expect(badTemperature.body.error).toMatch(/^arms\[0\]\.generation\.temperature: /);
    const twins = await create({ key: 'bad', mode: 'pairwise', arms: [arm('a'), arm('a')] });
    expect(twins.body.error).toMatch(/^arms\[1\]\.name: arm "a" is named twice/);
    const badReranker = await create({ key: 'bad', mode: 'single', arms: [arm('a', { reranker: 'v7' })] });
    expect(badReranker.status).toBe(400);
    expect(badReranker.body.error).toMatch(/^arms\[0\]\.reranker: /);
    expect((await create({ key: 'bad', mode: 'single', status: 'paused', arms: [arm('a')] })).body.error).toMatch(/^status: /);
    const solo = await patch('tone', { arms: [arm('only')] });
    expect(solo.status).toBe(400);
    expect(solo.body.error).toMatch(/^arms: a pairwise experiment needs at least two arms/);
    expect((await server.call('/v1/admin/experiments/bad', { token: lead })).status).toBe(404);
  });

  it('answers 409 for an existing key and for a transition the lifecycle does not allow', async () => {
    const again = await create({ key: 'tone', mode: 'single', arms: armInputs(['x']) });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/"tone" already exists/);
    const paused = await patch('tone', { status: 'paused' });
    expect(paused.status).toBe(409);
    expect(paused.body.error).toMatch(/cannot go from draft to paused/);
  });

  it('walks draft → running ⇄ paused → stopped, bumping the revision, and keeps stopped final', async () => {
    await create({ key: 'life', mode: 'single', teams: ['nobody'], arms: armInputs(['a', 'b']) });
    const running = Experiment.parse((await patch('life', { status: 'running' })).body);
    expect(running).toMatchObject({ status: 'running', revision: 2 });
    expect(Experiment.parse((await patch('life', { status: 'paused' })).body).revision).toBe(3);
    expect(Experiment.parse((await patch('life', { status: 'running', trafficShare: 0.5 })).body)).toMatchObject({ revision: 4, trafficShare: 0.5 });
    // Nothing changes: no new revision, no audit entry.
    expect(Experiment.parse((await patch('life', { trafficShare: 0.5 })).body).revision).toBe(4);
    expect(Experiment.parse((await patch('life', { status: 'stopped' })).body)).toMatchObject({ status: 'stopped', revision: 5 });
    const restart = await patch('life', { status: 'running' });
    expect(restart.status).toBe(409);
    expect(restart.body.error).toMatch(/"life" is stopped.*final/);
    expect((await patch('life', { description: 'later' })).status).toBe(409);
    expect((await patch('missing', { description: 'x' })).status).toBe(404);
  });

  it('keeps at most one running experiment per team, naming the one in the way', async () => {
    await create({ key: 'billing-1', mode: 'single', status: 'running', teams: ['billing'], trafficShare: 0, arms: armInputs(['a']) });
    const overlapping = await create({ key: 'billing-2', mode: 'single', status: 'running', teams: ['billing', 'sales'], arms: armInputs(['a']) });
    expect(overlapping.status).toBe(409);
    expect(overlapping.body.error).toMatch(/experiment "billing-1" is already running for team "billing"/);
    const everyone = await create({ key: 'everyone', mode: 'single', arms: armInputs(['a']) });
    expect(everyone.status).toBe(201);
    const start = await patch('everyone', { status: 'running' });
    expect(start.status).toBe(409);
    expect(start.body.error).toMatch(/"billing-1"/);
    // A different team is fine; moving onto a taken team while running is not.
    expect((await create({ key: 'sales-1', mode: 'single', status: 'running', teams: ['sales'], trafficShare: 0, arms: armInputs(['a']) })).status).toBe(201);
    const move = await patch('sales-1', { teams: ['billing'] });
    expect(move.status).toBe(409);
    expect(move.body.error).toMatch(/"billing-1" is already running for team "billing"/);
    expect((await patch('billing-1', { status: 'stopped' })).status).toBe(200);
    expect((await patch('sales-1', { status: 'stopped' })).status).toBe(200);
  });

  it('audits every create and change with the actor and only the fields that changed', async () => {
    await create({ key: 'audited', mode: 'single', teams: ['support'], arms: armInputs(['a', 'b']) }, admin);
    await patch('audited', { trafficShare: 0.25, description: 'quarter' }, lead);
    const log = AuditLog.parse((await server.call('/v1/admin/experiments/audited/audit', { token: lead })).body);
    expect(log.entries).toHaveLength(2);
    const [update, creation] = log.entries;
    expect(update).toMatchObject({
      action: 'experiment.updated',
      subject: 'audited',
      actor: { name: 'lena', role: 'lead', team: 'support' },
      changes: { trafficShare: { before: 1, after: 0.25 }, description: { before: '', after: 'quarter' } },
    });
    expect(Object.keys(update!.changes).sort()).toEqual(['description', 'trafficShare']);
    expect(creation).toMatchObject({ action: 'experiment.created', actor: { name: 'ada', role: 'admin', team: 'ops' } });
    expect(creation!.changes.mode).toEqual({ before: null, after: 'single' });
    expect(creation!.changes.controlArm).toEqual({ before: null, after: 'a' });
    const all = AuditLog.parse((await server.call('/v1/admin/audit?limit=3', { token: lead })).body);
    expect(all.entries).toHaveLength(3);
    expect(all.entries[0]!.id).toBe(update!.id);
    expect((await server.call('/v1/admin/audit?limit=0', { token: lead })).body.error).toMatch(/^limit: /);
    expect((await server.call('/v1/admin/experiments/nope/audit', { token: lead })).status).toBe(404);
  });

  it('serves the baseline, with an ETag and 304, while no experiment reaches the agent', async () => {
    const first = await assignmentOf(agent);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ experiment: null, annotationSampling: 1, pollSeconds: 2 });
    expect(first.etag).toMatch(/^"[\w-]+"$/);
    expect((await assignmentOf(agent, { 'if-none-match': first.etag! })).status).toBe(304);
    const answer = await suggestAs(agent);
    expect(answer.experiment).toEqual({ key: 'baseline', arm: 'pairwise' });
    expect(answer.annotate).toBe(true);
    expect(answer.candidates.map((c) => c.arm)).toEqual(['A', 'B']);
  });

  it('gives single-mode agents their one sticky arm, one candidate, and a new ETag', async () => {
    const before = await assignmentOf(agent);
    await create({ key: 'single-tone', mode: 'single', status: 'running', teams: ['support'], annotationSampling: 0, arms: armInputs(['short', 'long', 'mid']) });
    const assigned = await assignmentOf(agent, { 'if-none-match': before.etag! });
    expect(assigned.status).toBe(200);
    expect(assigned.etag).not.toBe(before.etag);
    expect(assigned.body).toMatchObject({ experiment: { key: 'single-tone', mode: 'single', revision: 1 }, annotationSampling: 0, pollSeconds: 2 });
    const armName = assigned.body!.experiment!.arms[0]!;
    expect(assigned.body!.experiment!.arms).toHaveLength(1);
    for (let i = 0; i < 2; i++) {
      const answer = await suggestAs(agent);
      expect(answer.experiment).toEqual({ key: 'single-tone', arm: armName });
      expect(answer.annotate).toBe(false);
      expect(answer.candidates).toHaveLength(1);
      expect(answer.candidates[0]).toMatchObject({ id: `${answer.suggestionId}:${armName}`, arm: armName, model: 'extractive-v1' });
      expect(answer.candidates[0]!.citations.length).toBeGreaterThan(0);
    }
    const [stored] = await server.database.query<{ experiment: unknown }>('select experiment from suggestions order by created_at desc limit 1');
    expect(stored!.experiment).toEqual({ key: 'single-tone', arm: armName });
    // Another team still gets the baseline.
    expect((await suggestAs(billingAgent)).experiment).toEqual({ key: 'baseline', arm: 'pairwise' });
    expect((await assignmentOf(billingAgent)).body!.experiment).toBeNull();
    // Pausing takes the agent back to the baseline at once (this process's cache is invalidated).
    await patch('single-tone', { status: 'paused' });
    expect((await suggestAs(agent)).candidates).toHaveLength(2);
    await patch('single-tone', { status: 'stopped' });
  });

  it('shows two arms side by side in pairwise mode, with arm-limited articles and annotate following the sampling', async () => {
    await create({
      key: 'pair',
      mode: 'pairwise',
      status: 'running',
      annotationSampling: 0.5,
      arms: [arm('lean', { reranker: 'none', retrieval: { k: 1 } }), arm('rich', { generation: { model: 'gpt-test', promptVersion: 'warm-v1', temperature: 0.7 } })],
    });
    const assignment = await assignmentOf(agent);
    expect(assignment.body!.experiment).toMatchObject({ key: 'pair', mode: 'pairwise', arms: ['lean', 'rich'] });
    expect(assignment.body!.annotationSampling).toBe(0.5);
    for (let i = 0; i < 6; i++) {
      const answer = await suggestAs(agent);
      expect(answer.experiment).toEqual({ key: 'pair', arm: 'lean+rich' });
      expect(answer.candidates.map((c) => [c.id, c.arm])).toEqual([
        [`${answer.suggestionId}:lean`, 'lean'],
        [`${answer.suggestionId}:rich`, 'rich'],
      ]);
      // The left arm's retrieval settings decide the one article list both candidates cite.
      expect(answer.articles).toHaveLength(1);
      expect(answer.annotate).toBe(shouldAnnotate(answer.suggestionId, 0.5));
    }
  });

  it('streams the experiment and annotate flag in the meta event', async () => {
    const response = await fetch(`${server.url}/v1/suggest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(TICKET),
    });
    let meta: SuggestStreamMeta | undefined;
    const candidates: string[] = [];
    for await (const message of readSse(response.body!)) {
      const event = SuggestStreamEvent.parse(JSON.parse(message.data));
      if (event.type === 'meta') meta = event;
      if (event.type === 'candidate') candidates.push(event.candidate.arm);
    }
    expect(meta!.experiment).toEqual({ key: 'pair', arm: 'lean+rich' });
    expect(meta!.annotate).toBe(shouldAnnotate(meta!.suggestionId, 0.5));
    expect(meta!.candidates.map((c) => c.arm)).toEqual(['lean', 'rich']);
    expect(candidates.sort()).toEqual(['lean', 'rich']);
    await patch('pair', { status: 'stopped' });
    expect((await suggestAs(agent)).experiment).toEqual({ key: 'baseline', arm: 'pairwise' });
  });

  it('reranks with a specific flywheel model version named by an arm', async () => {
    const tenantId = await ensureTenant(server.database.db, 'acme');
    const modelId = randomUUID();
    // A model that puts whatever its expansion field finds first: the battery article for "refund".
    const weights = Array(9).fill(0);
    weights[3] = 10;
    const params = { expansion: [{ articleId: 'kb-battery', terms: { refund: 3 } }], priors: {}, reranker: { weights, bias: 0, mean: Array(9).fill(0), std: Array(9).fill(1) } };
    expect((await suggestAs(billingAgent)).articles[0]!.articleId).toBe('kb-refund');
    await server.database.query(
      `insert into models (id, tenant_id, kind, version, params, metrics, status, trained_on) values ($1, $2, 'retrieval', 1, $3, '{}', 'candidate', '{}')`,
      [modelId, tenantId, JSON.stringify(params)],
    );
    const created = await create({ key: 'pinned', mode: 'single', status: 'running', teams: ['billing'], arms: [arm('v1', { reranker: modelId })] });
    expect(created.status).toBe(201);
    const answer = await suggestAs(billingAgent);
    expect(answer.experiment).toEqual({ key: 'pinned', arm: 'v1' });
    expect(answer.articles[0]!.articleId).toBe('kb-battery');
    const unknown = await patch('pinned', { arms: [arm('v1', { reranker: randomUUID() })] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/^arms\[0\]\.reranker: /);
    await patch('pinned', { status: 'stopped' });
  });
});

describe('experiment arms with an OpenAI-compatible model (pglite)', () => {
  let fake: FakeOpenAI;
  let server: TestServer;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test', behaviour: { reply: 'Refunds reach your card within 5 business days [1].' } });
    server = await startTestServer('pglite', {
      env: { LOOPDESK_LLM_BASE_URL: fake.url, LOOPDESK_LLM_API_KEY: 'sk-test', LOOPDESK_LLM_MODEL: 'configured-model' },
    });
    await importThermostatKb(server.database, 'acme');
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it("calls the server's endpoint with the arm's model, prompt and sampling, once in single mode", async () => {
    const lead = await server.token('lead');
    const agent = await server.token('agent');
    const generation = { model: 'arm-model', promptVersion: 'warm-v1', temperature: 0.55, maxTokens: 123 };
    const created = await server.call('/v1/admin/experiments', { token: lead, body: { key: 'model-test', mode: 'single', status: 'running', teams: ['support'], arms: [{ name: 'warm55', generation }] } });
    expect(created.status).toBe(201);
    fake.requests.length = 0;
    const answer = SuggestResponse.parse((await server.call('/v1/suggest', { token: agent, body: TICKET })).body);
    expect(answer.candidates).toEqual([
      { id: `${answer.suggestionId}:warm55`, arm: 'warm55', model: 'arm-model', text: 'Refunds reach your card within 5 business days [1].', citations: [1] },
    ]);
    const chats = fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chats).toHaveLength(1);
    expect(chats[0]!.body).toMatchObject({ model: 'arm-model', temperature: 0.55, max_tokens: 123 });
    expect(chats[0]!.body.messages[0].content).toMatch(/warm and reassuring/);
  });
});
