import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../server/tenancy';
import { upsertArticles } from '../../server/kb/store';
import { fuseByRank } from '../../server/retrieval';
import type { RetrievedChunk } from '../../server/retrieval/lexical';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';

const ARTICLES = [
  { id: 'pair', title: 'Pair the thermostat', body: '## Steps\nHold the dial for five seconds until the ring blinks blue.' },
  { id: 'refund', title: 'Refunds', body: '## Timing\nRefunds reach the original card within five business days.' },
  { id: 'battery', title: 'Valve batteries', body: '## Type\nThe valve takes two AA lithium batteries.' },
];

describe('reciprocal rank fusion', () => {
  const chunk = (id: string): RetrievedChunk => ({ articleId: id, chunkId: `${id}#0`, title: id, score: 0, rank: 0, content: '', heading: null, url: null });
  it('puts what both lists rank high first and renumbers ranks', () => {
    const fused = fuseByRank([[chunk('a'), chunk('b'), chunk('c')], [chunk('b'), chunk('d')]], 10);
    expect(fused.map((c) => c.articleId)).toEqual(['b', 'a', 'd', 'c']);
    expect(fused.map((c) => c.rank)).toEqual([1, 2, 3, 4]);
  });
});

describe('dense retrieval on PGlite (pgvector) with a local embedding server', () => {
  let llm: FakeOpenAI;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ embeddingDim: 32 });
    server = await startTestServer('pglite', { env: { LOOPDESK_EMBED_BASE_URL: llm.url, LOOPDESK_EMBED_MODEL: 'fake-embed' } });
    const tenantId = await ensureTenant(server.database.db, 'acme');
    await upsertArticles(server.database.db, tenantId, ARTICLES);
    await server.retriever.indexPending(tenantId);
    token = await server.token('agent');
  });
  afterAll(async () => {
    await server?.close();
    await llm?.close();
  });

  it('detects the vector extension and embeds every chunk', async () => {
    expect(server.database.vector).toBe(true);
    expect(server.retriever.dense).toBe(true);
    const [row] = await server.database.query<{ n: number }>('select count(*)::int as n from kb_chunk_embeddings');
    const [chunks] = await server.database.query<{ n: number }>('select count(*)::int as n from kb_chunks');
    expect(row!.n).toBe(chunks!.n);
  });

  it('embeds the query and fuses dense with lexical results', async () => {
    const before = llm.requests.filter((r) => r.path === '/v1/embeddings').length;
    const res = await server.call('/v1/retrieve', { token, body: { query: 'ring blinks blue when I hold the dial', k: 3 } });
    expect(res.status).toBe(200);
    expect(res.body.results[0].articleId).toBe('pair');
    const embeddingCalls = llm.requests.filter((r) => r.path === '/v1/embeddings');
    expect(embeddingCalls.length).toBe(before + 1);
    expect((embeddingCalls.at(-1)!.body as { encoding_format?: string }).encoding_format).toBe('float');
  });

  it('embeds an article added through the admin API without being asked', async () => {
    const admin = await server.token('admin');
    const res = await server.call('/v1/kb/articles', { token: admin, body: { id: 'heat', title: 'Heat pumps', body: 'Set the heat pump to eco mode.' } });
    expect(res.status).toBe(201);
    await expect
      .poll(async () => (await server.database.query(`select 1 from kb_chunk_embeddings where chunk_id = 'heat#0'`)).length, { timeout: 10_000 })
      .toBe(1);
  });

  it('embeds re-imported articles and drops embeddings of deleted chunks', async () => {
    const tenantId = await ensureTenant(server.database.db, 'acme');
    await upsertArticles(server.database.db, tenantId, [{ ...ARTICLES[1]!, body: '## Timing\nRefunds take ten days.\n\n## Method\nBank transfer.' }]);
    expect(await server.retriever.indexPending(tenantId)).toBe(2);
    const rows = await server.database.query<{ chunk_id: string }>(`select chunk_id from kb_chunk_embeddings where chunk_id like 'refund#%' order by 1`);
    expect(rows.map((r) => r.chunk_id)).toEqual(['refund#0', 'refund#1']);
  });
});

describe.each(DATABASE_KINDS.filter((k) => k === 'postgres'))('on %s without the vector extension', (kind) => {
  it('keeps lexical retrieval correct and never calls the embedding server', async () => {
    const llm = await startFakeOpenAI();
    const server = await startTestServer(kind, { env: { LOOPDESK_EMBED_BASE_URL: llm.url, LOOPDESK_EMBED_MODEL: 'fake-embed' } });
    try {
      const hasVector = (await server.database.query(`select 1 from pg_available_extensions where name = 'vector'`)).length > 0;
      expect(server.database.vector).toBe(hasVector);
      const tenantId = await ensureTenant(server.database.db, 'acme');
      await upsertArticles(server.database.db, tenantId, ARTICLES);
      const token = await server.token('agent');
      const res = await server.call('/v1/retrieve', { token, body: { query: 'refund card days', k: 2 } });
      expect(res.body.results[0].articleId).toBe('refund');
      if (!hasVector) expect(llm.requests.filter((r) => r.path === '/v1/embeddings')).toHaveLength(0);
    } finally {
      await server.close();
      await llm.close();
    }
  });
});
