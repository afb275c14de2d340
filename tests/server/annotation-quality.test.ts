import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnotationQualityResponse } from '../../lib/contract/flywheel';
import { seedDisagreeingAgents, type AnnotatorName } from '../support/annotators';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

/**
 * Three agents label the articles of the same suggestions (tests/support/annotators.ts): alice and
 * bob agree; carol labels every other suggestion and contradicts them. The flywheel cycle estimates
 * each agent's annotation quality, which leads (only) read at GET /v1/admin/flywheel/annotators.
 */
describe.each(DATABASE_KINDS)('annotation quality per agent (%s)', (kind) => {
  let server: TestServer;
  let admin: string;
  let lead: string;
  let agents: Record<AnnotatorName, string>;

  beforeAll(async () => {
    server = await startTestServer(kind);
    admin = await server.token('admin');
    lead = await server.token('lead');
    agents = await seedDisagreeingAgents(server);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('shows nothing before a cycle, and rejects a run request whose annotationWeighting is not a boolean', async () => {
    const before = await server.call('/v1/admin/flywheel/annotators', { token: lead });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ modelVersion: null, estimatedAt: null, teamAccuracy: null, agents: [] });
    const bad = await server.call('/v1/admin/flywheel/run', { token: admin, body: { annotationWeighting: 'no' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/annotationWeighting/);
  });

  it('after a cycle, lists the agents by name with the contradicting agent least accurate, to leads of the tenant only', async () => {
    const run = await server.call('/v1/admin/flywheel/run', { token: admin, body: {} });
    expect(run.status).toBe(200);
    expect(run.body.status).not.toBe('skipped');

    const answer = await server.call('/v1/admin/flywheel/annotators', { token: lead });
    expect(answer.status).toBe(200);
    const quality = answer.body as AnnotationQualityResponse;
    expect(quality.modelVersion).toBe(run.body.version);
    expect(Number.isNaN(Date.parse(quality.estimatedAt!))).toBe(false);
    expect(quality.teamAccuracy).toBeGreaterThan(0.5);
    expect(quality.agents.map((a) => a.name).sort()).toEqual(['alice', 'bob', 'carol']);
    const byName = new Map(quality.agents.map((a) => [a.name!, a]));
    const agent = (name: string) => byName.get(name)!;
    const [alice, bob, carol] = [agent('alice'), agent('bob'), agent('carol')];
    // Least trusted first: carol.
    expect(quality.agents[0]!.name).toBe('carol');
    expect(carol.accuracy).toBeLessThan(alice.accuracy);
    expect(carol.accuracy).toBeLessThan(bob.accuracy);
    expect(carol.weight).toBeLessThan(1);
    expect(carol.overlapping).toBeGreaterThan(0);
    expect(carol.agreementWithOthers!).toBeLessThan(alice.agreementWithOthers!);
    expect(carol.agreementWithOthers!).toBeLessThan(bob.agreementWithOthers!);
    expect(carol.labels).toBeLessThan(alice.labels);
    expect(alice.agreementWithOthers).toBe(1);

    // Agents do not read it; another tenant's lead sees an empty estimate.
    expect((await server.call('/v1/admin/flywheel/annotators', { token: agents.carol })).status).toBe(403);
    const otherLead = await server.token('lead', { tenant: 'globex' });
    const other = await server.call('/v1/admin/flywheel/annotators', { token: otherLead });
    expect(other.status).toBe(200);
    expect(other.body).toEqual({ modelVersion: null, estimatedAt: null, teamAccuracy: null, agents: [] });
  }, 120_000);
});
