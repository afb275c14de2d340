import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnrollResponse, SuggestResponse, TokenList, type ExperimentInput } from '../../lib/contract';
import { sampleEvent } from '../support/events';
import { importThermostatKb } from '../support/kb-fixture';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

/** Text only tenant A's data holds: it must never reach a caller of tenant B. */
const MARKER = 'zebra7731';

const TICKET = {
  helpdesk: 'zendesk',
  ticketId: '9001',
  subject: `Refund for my thermostat ${MARKER}`,
  messages: [{ author: 'customer', text: `How long does a refund take to reach my card? ${MARKER}` }],
  tags: [],
};

const experiment = (key: string, teams: string[]): ExperimentInput => ({
  key,
  mode: 'single',
  teams,
  description: `experiment ${MARKER}`,
  arms: [{ name: 'a', generation: { model: 'm', promptVersion: 'concise-v1', temperature: 0.2 } }],
});

describe.each(DATABASE_KINDS)('tenant isolation on %s', (kind) => {
  let server: TestServer;
  const a = { agent: '', lead: '', admin: '' };
  const b = { agent: '', lead: '', admin: '' };

  beforeAll(async () => {
    server = await startTestServer(kind);
    await importThermostatKb(server.database, 'acme');
    await importThermostatKb(server.database, 'globex');
    a.agent = await server.token('agent', { tenant: 'acme' });
    a.lead = await server.token('lead', { tenant: 'acme' });
    a.admin = await server.token('admin', { tenant: 'acme' });
    b.agent = await server.token('agent', { tenant: 'globex' });
    b.lead = await server.token('lead', { tenant: 'globex' });
    b.admin = await server.token('admin', { tenant: 'globex' });

    // Tenant A: an experiment, a suggestion and every kind of annotation, a selector miss and override.
    expect((await server.call('/v1/admin/experiments', { token: a.admin, body: experiment('acme-secret', ['support']) })).status).toBe(201);
    const suggestion = SuggestResponse.parse((await server.call('/v1/suggest', { token: a.agent, body: TICKET })).body);
    const id = suggestion.suggestionId;
    const ref = { experiment: suggestion.experiment!, ticketId: '9001' };
    const events = [
      sampleEvent('suggestion.shown', id, { ...ref, candidates: suggestion.candidates.map((c, i) => ({ id: c.id, arm: c.arm, model: c.model, side: i ? 'right' : 'left' })) }),
      sampleEvent('preference', id, { ...ref, candidateA: suggestion.candidates[0]!.id, candidateB: suggestion.candidates[1]!.id }),
      sampleEvent('adoption', id, { ...ref, candidateId: suggestion.candidates[0]!.id, finalText: `Refunds take 5 days ${MARKER}` }),
      sampleEvent('knowledge.relevance', id, { ...ref, articleId: 'kb-refund', chunkId: suggestion.articles[0]!.chunkId }),
      sampleEvent('knowledge.missing', id, { ...ref, description: `No article on ${MARKER}`, proposedTitle: `Volume pricing ${MARKER}` }),
      sampleEvent('adoption', id, { experiment: { key: 'acme-secret', arm: 'a' }, candidateId: `${id}:a`, finalText: MARKER }),
    ];
    const ingested = await server.call('/v1/events', { token: a.agent, body: { events } });
    expect(ingested.body.results.map((r: { status: string }) => r.status)).toEqual(events.map(() => 'accepted'));
    await server.call('/v1/diagnostics/selector-misses', { token: a.agent, body: { helpdesk: 'zendesk', key: 'subject', clientVersion: '0.1.0', overridden: false } });
    expect((await server.call('/v1/admin/helpdesks/zendesk/selectors', { method: 'PUT', token: a.admin, body: { selectors: { subject: [`.${MARKER}`] } } })).status).toBe(200);
  });
  afterAll(async () => server?.close());

  /** Every GET that returns tenant data, for leads and admins (agents get 403 from the admin ones). */
  const READS = [
    '/v1/me',
    '/v1/admin/experiments',
    '/v1/admin/experiments/acme-secret',
    '/v1/admin/experiments/acme-secret/audit',
    '/v1/admin/experiments/acme-secret/metrics',
    '/v1/admin/audit',
    '/v1/experiments/assignment',
    '/v1/admin/exports/sft',
    '/v1/admin/exports/preferences',
    '/v1/admin/exports/retrieval',
    '/v1/admin/exports/retrieval?format=queries-jsonl',
    '/v1/admin/exports/kb-gaps',
    '/v1/admin/exports/kb-gaps?format=csv',
    '/v1/admin/selector-misses',
    '/v1/helpdesks/zendesk/selectors',
    '/v1/admin/flywheel/models',
    '/v1/admin/tokens',
    '/v1/admin/enrollment-tokens',
  ];

  it("tenant A's own lead sees its data (so the checks below can fail)", async () => {
    for (const path of ['/v1/admin/experiments/acme-secret', '/v1/admin/exports/sft', '/v1/admin/exports/kb-gaps', '/v1/helpdesks/zendesk/selectors']) {
      const res = await server.call(path, { token: a.lead });
      expect(res.status, path).toBe(200);
      expect(JSON.stringify(res.body), path).toContain(MARKER);
    }
    expect((await server.call('/v1/admin/selector-misses', { token: a.lead })).body.misses).toHaveLength(1);
  });

  it("no token of tenant B reads anything of tenant A's, whatever its role", async () => {
    for (const token of [b.agent, b.lead, b.admin]) {
      for (const path of READS) {
        const res = await server.call(path, { token });
        expect([200, 403, 404], path).toContain(res.status);
        expect(JSON.stringify(res.body), `${path} leaks tenant A's data`).not.toContain(MARKER);
        // A 404 may echo the key the path names; nothing else may name A's experiment.
        if (!path.includes('acme-secret')) expect(JSON.stringify(res.body), `${path} leaks tenant A's experiment`).not.toContain('acme-secret');
      }
    }
    expect((await server.call('/v1/admin/experiments/acme-secret', { token: b.lead })).status).toBe(404);
    expect((await server.call('/v1/admin/experiments/acme-secret/metrics', { token: b.lead })).status).toBe(404);
    expect((await server.call('/v1/admin/experiments', { token: b.lead })).body.experiments).toEqual([]);
    expect((await server.call('/v1/admin/selector-misses', { token: b.lead })).body.misses).toEqual([]);
    expect((await server.call('/v1/helpdesks/zendesk/selectors', { token: b.agent })).body.selectors).toEqual({});
    const tokens = TokenList.parse((await server.call('/v1/admin/tokens', { token: b.admin })).body).tokens;
    expect(tokens).toHaveLength(3);
    // Naming another tenant is refused, not answered with the caller's own.
    expect((await server.call('/v1/admin/exports/sft?tenant=acme', { token: b.lead })).status).toBe(403);
    expect((await server.call('/v1/admin/experiments/acme-secret/metrics?tenant=acme', { token: b.lead })).status).toBe(403);
    expect((await server.call('/v1/admin/tokens?tenant=acme', { token: b.admin })).status).toBe(403);
  });

  it("tenant B cannot change tenant A's experiments, tokens or enrollment tokens", async () => {
    const patch = await server.call('/v1/admin/experiments/acme-secret', { method: 'PATCH', token: b.admin, body: { description: 'mine' } });
    expect(patch.status).toBe(404);
    const [aToken] = TokenList.parse((await server.call('/v1/admin/tokens', { token: a.admin })).body).tokens;
    expect((await server.call(`/v1/admin/tokens/${aToken!.id}`, { method: 'DELETE', token: b.admin })).status).toBe(404);
    const enrollment = await server.call('/v1/admin/enrollment-tokens', { token: a.admin, body: { team: 'support' } });
    expect((await server.call(`/v1/admin/enrollment-tokens/${enrollment.body.id}/revoke`, { method: 'POST', token: b.admin })).status).toBe(404);
    expect((await server.call('/v1/admin/enrollment-tokens', { token: b.admin, body: { tenant: 'acme', team: 'support' } })).status).toBe(403);
    // Retrieval reads only the caller's knowledge base.
    await server.call('/v1/kb/articles', { token: a.admin, body: { id: 'acme-only', title: `Pricing ${MARKER}`, body: `Volume pricing ${MARKER}` } });
    const found = await server.call('/v1/retrieve', { token: b.agent, body: { query: MARKER, k: 5 } });
    expect(found.body.results).toEqual([]);
  });
});

describe.each(DATABASE_KINDS)('roles and lead scoping on %s', (kind) => {
  let server: TestServer;
  let agent: string;
  let supportLead: string;
  let billingLead: string;
  let admin: string;
  const create = (token: string, body: ExperimentInput) => server.call('/v1/admin/experiments', { token, body });
  const patch = (token: string, key: string, body: unknown) => server.call(`/v1/admin/experiments/${key}`, { method: 'PATCH', token, body });

  beforeAll(async () => {
    server = await startTestServer(kind);
    agent = await server.token('agent', { team: 'support' });
    supportLead = await server.token('lead', { team: 'support' });
    billingLead = await server.token('lead', { team: 'billing' });
    admin = await server.token('admin', { team: 'ops' });
  });
  afterAll(async () => server?.close());

  it('refuses agents any change to experiments', async () => {
    expect((await create(agent, experiment('by-agent', ['support']))).status).toBe(403);
    expect((await create(admin, experiment('support-1', ['support']))).status).toBe(201);
    expect((await patch(agent, 'support-1', { description: 'x' })).status).toBe(403);
  });

  it("lets a lead create and change only the lead's own team's experiments", async () => {
    expect((await create(supportLead, experiment('support-2', ['support']))).status).toBe(201);
    expect((await patch(supportLead, 'support-2', { status: 'running' })).status).toBe(200);
    expect((await patch(supportLead, 'support-1', { description: 'ours' })).status).toBe(200);

    const everyone = await create(supportLead, experiment('everyone', []));
    expect(everyone.status).toBe(403);
    expect(everyone.body.error).toMatch(/^teams: experiment "everyone" targets every team, which only an admin may change/);
    const other = await create(supportLead, experiment('billing-by-support', ['billing']));
    expect(other.status).toBe(403);
    expect(other.body.error).toMatch(/targets team "billing", and a lead may only change experiments of the lead's own team \("support"\)/);
    expect((await create(supportLead, experiment('mixed', ['support', 'billing']))).status).toBe(403);
    // Moving an own experiment onto another team, or to every team, is refused too.
    expect((await patch(supportLead, 'support-2', { teams: ['billing'] })).status).toBe(403);
    expect((await patch(supportLead, 'support-2', { teams: [] })).status).toBe(403);
  });

  it("refuses a lead another team's and every team's experiments, while reading them is fine", async () => {
    expect((await create(admin, experiment('all-teams', []))).status).toBe(201);
    expect((await create(admin, experiment('billing-1', ['billing']))).status).toBe(201);
    const all = await patch(supportLead, 'all-teams', { description: 'mine' });
    expect(all.status).toBe(403);
    expect(all.body.error).toMatch(/every team/);
    expect((await patch(supportLead, 'billing-1', { status: 'stopped' })).status).toBe(403);
    expect((await patch(billingLead, 'billing-1', { description: 'billing' })).status).toBe(200);
    expect((await patch(billingLead, 'support-1', { description: 'theirs' })).status).toBe(403);
    expect((await server.call('/v1/admin/experiments/billing-1', { token: supportLead })).status).toBe(200);
    expect((await server.call('/v1/admin/experiments', { token: supportLead })).body.experiments).toHaveLength(4);
    // Admins are not restricted.
    expect((await patch(admin, 'all-teams', { teams: ['billing'] })).status).toBe(200);
    expect((await patch(admin, 'billing-1', { teams: [] })).status).toBe(200);
  });
});

describe.each(DATABASE_KINDS)('enrollment and revocation on %s', (kind) => {
  let server: TestServer;
  let admin: string;
  const identity = { agentId: '4242', email: 'Ann@Acme.example', name: 'Ann Agent' };
  const newEnrollment = async (body: Record<string, unknown> = {}) => {
    const res = await server.call('/v1/admin/enrollment-tokens', { token: admin, body: { team: 'support', ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; token: string };
  };
  const enroll = (enrollmentToken: string, extra: Record<string, unknown> = {}) =>
    server.call('/v1/enroll', { body: { enrollmentToken, helpdesk: 'zendesk', helpdeskIdentity: identity, ...extra } });

  beforeAll(async () => {
    server = await startTestServer(kind);
    admin = await server.token('admin', { team: 'ops' });
  });
  afterAll(async () => server?.close());

  it('exchanges an enrollment token for an agent token bound to the helpdesk identity', async () => {
    const { token: enrollmentToken } = await newEnrollment();
    expect(enrollmentToken).toMatch(/^lde_[\w-]{32}$/);
    const res = await enroll(enrollmentToken, { deviceId: 'device-one-1' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const enrolled = EnrollResponse.parse(res.body);
    expect(enrolled).toMatchObject({ tenant: 'acme', team: 'support', agent: 'zendesk:4242', role: 'agent' });
    const me = await server.call('/v1/me', { token: enrolled.token });
    expect(me.body).toEqual({ tenant: 'acme', team: 'support', agent: 'zendesk:4242', role: 'agent' });

    // The same identity again: the same agent, a fresh token; the same device's earlier token is revoked.
    const again = EnrollResponse.parse((await enroll(enrollmentToken, { deviceId: 'device-one-1' })).body);
    expect(again.token).not.toBe(enrolled.token);
    expect(again.agent).toBe('zendesk:4242');
    expect((await server.call('/v1/me', { token: enrolled.token })).status).toBe(401);
    // Another browser of the same agent keeps both.
    const second = EnrollResponse.parse((await enroll(enrollmentToken, { deviceId: 'device-two-2' })).body);
    expect((await server.call('/v1/me', { token: again.token })).status).toBe(200);
    expect((await server.call('/v1/me', { token: second.token })).status).toBe(200);
    const [agentRows] = await Promise.all([server.database.query<{ n: number }>("select count(*)::int as n from agents where name = 'zendesk:4242'")]);
    expect(agentRows[0]!.n).toBe(1);
    // Without a helpdesk agent id, the email identifies the agent (case-insensitively).
    const byEmail = EnrollResponse.parse((await enroll(enrollmentToken, { helpdeskIdentity: { email: 'BEA@acme.example', name: 'Bea' } })).body);
    expect(byEmail.agent).toBe('zendesk:email:bea@acme.example');
    const noIdentity = await enroll(enrollmentToken, { helpdeskIdentity: { name: 'Nobody' } });
    expect(noIdentity.status).toBe(400);
    expect(noIdentity.body.error).toMatch(/^helpdeskIdentity: an agentId or an email is needed/);
  });

  it('stores enrollment and agent tokens only as hashes', async () => {
    const { token: enrollmentToken } = await newEnrollment();
    const enrolled = EnrollResponse.parse((await enroll(enrollmentToken)).body);
    for (const table of ['enrollment_tokens', 'api_tokens']) {
      const rows = await server.database.query(`select * from ${table}`);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(enrollmentToken);
      expect(dump).not.toContain(enrollmentToken.slice(4));
      expect(dump).not.toContain(enrolled.token);
      expect(dump).not.toContain(enrolled.token.slice(3));
    }
    // The token list shows no secret either.
    const list = await server.call('/v1/admin/tokens', { token: admin });
    expect(JSON.stringify(list.body)).not.toContain(enrolled.token.slice(3));
    expect(TokenList.parse(list.body).tokens.find((t) => t.agent === 'zendesk:4242')).toMatchObject({ displayName: 'Ann Agent', team: 'support', role: 'agent' });
  });

  it('refuses an expired, used-up, revoked or unknown enrollment token with 401', async () => {
    expect((await server.call('/v1/admin/enrollment-tokens', { token: admin, body: { team: 'support', expiresAt: '2020-01-01T00:00:00Z' } })).status).toBe(400);
    const soon = await newEnrollment({ expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect((await enroll(soon.token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const expired = await enroll(soon.token);
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatch(/expired/);

    const twice = await newEnrollment({ maxUses: 2 });
    const results = await Promise.all([0, 1, 2, 3].map((i) => enroll(twice.token, { helpdeskIdentity: { agentId: `m${i}`, name: `M ${i}` } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 401, 401]);
    expect(results.find((r) => r.status === 401)!.body.error).toMatch(/used its 2 times/);

    const revoked = await newEnrollment();
    const before = EnrollResponse.parse((await enroll(revoked.token)).body);
    expect((await server.call(`/v1/admin/enrollment-tokens/${revoked.id}/revoke`, { method: 'POST', token: admin })).status).toBe(204);
    expect((await enroll(revoked.token)).body.error).toMatch(/revoked/);
    // Tokens already exchanged stay valid until revoked themselves.
    expect((await server.call('/v1/me', { token: before.token })).status).toBe(200);
    expect((await enroll('lde_nothing')).status).toBe(401);
    const listed = (await server.call('/v1/admin/enrollment-tokens', { token: admin })).body.enrollmentTokens;
    expect(listed.find((t: { id: string }) => t.id === twice.id)).toMatchObject({ uses: 2, maxUses: 2, revokedAt: null, team: 'support' });
    expect(listed.find((t: { id: string }) => t.id === revoked.id).revokedAt).toEqual(expect.any(String));
  });

  it('enrolls leads only when the admin asks, never admins; agents and leads cannot create enrollment tokens', async () => {
    const leads = await newEnrollment({ role: 'lead', team: 'billing' });
    const lead = EnrollResponse.parse((await enroll(leads.token, { helpdeskIdentity: { agentId: 'boss', name: 'Boss' } })).body);
    expect(lead).toMatchObject({ role: 'lead', team: 'billing' });
    expect((await server.call('/v1/admin/enrollment-tokens', { token: admin, body: { team: 'x', role: 'admin' } })).status).toBe(400);
    expect((await server.call('/v1/admin/enrollment-tokens', { token: lead.token, body: { team: 'billing' } })).status).toBe(403);
    expect((await server.call('/v1/admin/tokens', { token: lead.token })).status).toBe(403);
  });

  it('revokes an API token at once: the next request answers 401', async () => {
    const token = await server.token('agent', { name: 'revokee' });
    expect((await server.call('/v1/me', { token })).status).toBe(200);
    const { tokens } = TokenList.parse((await server.call('/v1/admin/tokens', { token: admin })).body);
    const row = tokens.find((t) => t.agent === 'revokee')!;
    expect(row.revokedAt).toBeNull();
    expect((await server.call(`/v1/admin/tokens/${row.id}`, { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await server.call('/v1/me', { token })).status).toBe(401);
    expect((await server.call('/v1/suggest', { token, body: TICKET })).status).toBe(401);
    const after = TokenList.parse((await server.call('/v1/admin/tokens', { token: admin })).body).tokens.find((t) => t.id === row.id)!;
    expect(after.revokedAt).toEqual(expect.any(String));
    expect((await server.call(`/v1/admin/tokens/${row.id}`, { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await server.call('/v1/admin/tokens/not-a-token', { method: 'DELETE', token: admin })).status).toBe(404);
    expect((await server.call(`/v1/admin/tokens/${row.id}`, { method: 'DELETE', token })).status).toBe(401);
  });
});
