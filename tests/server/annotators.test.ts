import { describe, expect, it } from 'vitest';
import { estimateAnnotationQuality, pairKey, PRIOR_STRENGTH, type AgentLabel } from '../../server/flywheel/annotators';
import { seededRandom } from '../../lib/random';

/**
 * Simulated agents on 400 tickets of 8 shown articles, the relevant one mostly near the top; half the
 * tickets worked by a second agent. `errors[a]` is how often agent a's label is wrong.
 */
function simulate(errors: number[], seed = 3) {
  const rand = seededRandom(seed);
  const labels: AgentLabel[] = [];
  const truth = new Map<string, boolean>();
  for (let t = 0; t < 400; t++) {
    const relevantRank = rand() < 0.6 ? 1 + Math.floor(rand() * 3) : rand() < 0.5 ? 4 + Math.floor(rand() * 5) : 0;
    const first = Math.floor(rand() * errors.length);
    const workers = rand() < 0.5 ? [first, (first + 1 + Math.floor(rand() * (errors.length - 1))) % errors.length] : [first];
    for (let rank = 1; rank <= 8; rank++) {
      const relevant = rank === relevantRank;
      truth.set(pairKey(`ticket ${t}`, `a${rank}`), relevant);
      for (const agent of workers) {
        const wrong = rand() < errors[agent]!;
        labels.push({ queryKey: `ticket ${t}`, articleId: `a${rank}`, agentId: `agent-${agent}`, relevant: relevant !== wrong, rank });
      }
    }
  }
  return { labels, truth };
}

describe('annotation quality', () => {
  it('finds the careless agents and trusts the careful ones', () => {
    const errors = [0.4, 0.35, 0.02, 0.02, 0.02, 0.02];
    const { agents, teamAccuracy } = estimateAnnotationQuality(simulate(errors).labels);
    const byId = new Map(agents.map((a) => [a.agentId, a]));
    // Least trusted first.
    expect(agents.slice(0, 2).map((a) => a.agentId).sort()).toEqual(['agent-0', 'agent-1']);
    for (const [a, error] of errors.entries()) expect(byId.get(`agent-${a}`)!.accuracy).toBeCloseTo(1 - error, 1);
    expect(byId.get('agent-0')!.weight).toBeLessThan(0.5);
    expect(byId.get('agent-2')!.weight).toBeGreaterThan(1);
    expect(byId.get('agent-0')!.agreementWithOthers!).toBeLessThan(byId.get('agent-2')!.agreementWithOthers! - 0.2);
    expect(teamAccuracy).toBeGreaterThan(0.8);
  });

  it("believes the careful agent over the careless one where they disagree, and the truth more often than any single label", () => {
    const { labels, truth } = simulate([0.4, 0.02, 0.02, 0.02]);
    const { posterior } = estimateAnnotationQuality(labels);
    let right = 0;
    for (const [key, relevant] of truth) if (posterior.get(key)! >= 0.5 === relevant) right++;
    const rawRight = labels.filter((l) => truth.get(pairKey(l.queryKey, l.articleId)) === l.relevant).length / labels.length;
    expect(right / truth.size).toBeGreaterThan(rawRight);
    expect(right / truth.size).toBeGreaterThan(0.97);
  });

  it('counts a lone "relevant" deep in the list for less than one at the top', () => {
    const { labels } = simulate([0.1, 0.1, 0.1, 0.1]);
    labels.push(
      { queryKey: 'new', articleId: 'top', agentId: 'agent-0', relevant: true, rank: 1 },
      { queryKey: 'new', articleId: 'deep', agentId: 'agent-0', relevant: true, rank: 8 },
    );
    const { posterior, priorByRank } = estimateAnnotationQuality(labels);
    expect(priorByRank[1]).toBeGreaterThan(priorByRank[8]!);
    expect(posterior.get(pairKey('new', 'top'))!).toBeGreaterThan(posterior.get(pairKey('new', 'deep'))!);
  });

  it("measures agreement with the agent's own adoptions, and counts a citation as evidence", () => {
    const { labels } = simulate([0.02, 0.02, 0.02]);
    // agent-0 cites articles in adopted replies and labels them relevant; agent-1 labels them irrelevant.
    for (let t = 0; t < 10; t++) {
      labels.push({ queryKey: `cited ${t}`, articleId: 'x', agentId: 'agent-0', relevant: true, rank: 2, cited: true });
      labels.push({ queryKey: `cited-b ${t}`, articleId: 'y', agentId: 'agent-1', relevant: false, rank: 2, cited: true });
    }
    // A citation alone, with no label.
    labels.push({ queryKey: 'only cited', articleId: 'z', agentId: 'agent-2', relevant: null, rank: 6, cited: true });
    const quality = estimateAnnotationQuality(labels);
    const byId = new Map(quality.agents.map((a) => [a.agentId, a]));
    expect(byId.get('agent-0')).toMatchObject({ adoptionChecks: 10, agreementWithAdoption: 1 });
    expect(byId.get('agent-1')).toMatchObject({ adoptionChecks: 10, agreementWithAdoption: 0 });
    expect(byId.get('agent-2')!.agreementWithAdoption).toBeNull();
    expect(quality.posterior.get(pairKey('only cited', 'z'))!).toBeGreaterThan(0.5);
  });

  it('does not condemn an agent for one disagreement', () => {
    const labels: AgentLabel[] = [];
    for (let t = 0; t < 50; t++) {
      for (const agent of ['a', 'b']) labels.push({ queryKey: `q${t}`, articleId: 'x', agentId: agent, relevant: t % 3 === 0, rank: 1 });
    }
    labels.push({ queryKey: 'q-new', articleId: 'x', agentId: 'newcomer', relevant: true, rank: 1 }, { queryKey: 'q-new', articleId: 'x', agentId: 'a', relevant: false, rank: 1 });
    const newcomer = estimateAnnotationQuality(labels).agents.find((a) => a.agentId === 'newcomer')!;
    expect(newcomer.agreementWithOthers).toBe(0);
    // One label against the Beta prior's PRIOR_STRENGTH labels' worth: still close to the team.
    expect(PRIOR_STRENGTH).toBeGreaterThan(5);
    expect(newcomer.accuracy).toBeGreaterThan(0.85);
  });
});
