import { upsertArticles } from '../../server/kb/store';
import { ensureTenant } from '../../server/tenancy';
import { sampleEvent } from './events';
import type { TestServer } from './server';

/** Topics (one article each, one ticket each) of `seedDisagreeingAgents`: more than the flywheel's MIN_QUERIES. */
export const ANNOTATOR_TOPICS = 24;
const word = (i: number) => `florp${String.fromCharCode(97 + (i % 26))}ix`;

export type AnnotatorName = 'alice' | 'bob' | 'carol';

/**
 * Three agents of `tenant` label the articles of the same suggestions through /v1/events: alice and
 * bob label every suggestion and agree (the ticket's own topic is relevant, the rest not); carol
 * labels every other one and says the opposite. Returns the agents' tokens.
 */
export async function seedDisagreeingAgents(server: TestServer, tenant = 'acme'): Promise<Record<AnnotatorName, string>> {
  const agents: Record<AnnotatorName, string> = {
    alice: await server.token('agent', { tenant, name: 'alice' }),
    bob: await server.token('agent', { tenant, name: 'bob' }),
    carol: await server.token('agent', { tenant, name: 'carol' }),
  };
  const tenantId = await ensureTenant(server.database.db, tenant);
  await upsertArticles(
    server.database.db,
    tenantId,
    Array.from({ length: ANNOTATOR_TOPICS }, (_, i) => ({ id: `kb-${i}`, title: `Guide ${i}`, body: `How the ${word(i)} works and how to reset the ${word(i)}.` })),
  );
  for (let i = 0; i < ANNOTATOR_TOPICS; i++) {
    const ticketId = `t-${i}`;
    const text = `the ${word(i)} is stuck, also asked about ${word((i + 5) % ANNOTATOR_TOPICS)} and ${word((i + 11) % ANNOTATOR_TOPICS)}`;
    const res = await server.call('/v1/suggest', { token: agents.alice, body: { helpdesk: 'zendesk', ticketId, messages: [{ author: 'customer', text }] } });
    if (res.status !== 200) throw new Error(`suggest: ${res.status} ${JSON.stringify(res.body)}`);
    const shown = res.body.articles as { articleId: string; chunkId: string; rank: number }[];
    if (shown.length < 2) throw new Error(`suggest showed ${shown.length} articles for ${ticketId}`);
    const labellers: AnnotatorName[] = i % 2 === 0 ? ['alice', 'bob', 'carol'] : ['alice', 'bob'];
    for (const name of labellers) {
      const events = shown.map((a) => {
        const right = a.articleId === `kb-${i}`;
        // carol says the opposite of what the others say.
        const label = (name === 'carol' ? !right : right) ? 'relevant' : 'irrelevant';
        return sampleEvent('knowledge.relevance', res.body.suggestionId, { ticketId, experiment: null, articleId: a.articleId, chunkId: a.chunkId, rank: a.rank, label });
      });
      const sent = await server.call('/v1/events', { token: agents[name], body: { events } });
      if (sent.status !== 200) throw new Error(`events: ${sent.status} ${JSON.stringify(sent.body)}`);
    }
  }
  return agents;
}
