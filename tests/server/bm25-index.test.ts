import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteArticle, upsertArticles } from '../../server/kb/store';
import { ensureTenant } from '../../server/tenancy';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const article = (id: string, body: string) => ({ id, title: `Article ${id}`, body });

describe.each(DATABASE_KINDS)('BM25 index upkeep on %s', (kind) => {
  let server: TestServer;
  let tenantId: string;
  beforeAll(async () => {
    server = await startTestServer(kind);
    tenantId = await ensureTenant(server.database.db, 'acme');
  });
  afterAll(async () => server?.close());

  /** Recomputes every statistic from the chunks themselves and compares it with what the store kept. */
  async function expectIndexExact() {
    const drift = await server.database.query(
      `with truth as (
         select u.lexeme as term, count(*)::int as df from kb_chunks c, unnest(c.tsv) u where c.tenant_id = $1 group by 1
         union all
         select '=' || u.lexeme, count(*)::int from kb_chunks c, unnest(c.tsv_exact) u where c.tenant_id = $1 group by 1)
       select coalesce(t.term, s.term) as term, t.df as truth, s.df as kept
         from truth t full join (select term, df from kb_term_stats where tenant_id = $1) s on s.term = t.term
        where t.df is distinct from s.df`,
      [tenantId],
    );
    expect(drift).toEqual([]);
    const [totals] = await server.database.query<{ ok: boolean }>(
      `select s.chunks = (select count(*) from kb_chunks where tenant_id = $1)
          and s.total_len = (select sum(doc_len) from kb_chunks where tenant_id = $1)
          and s.total_len_exact = (select sum(doc_len_exact) from kb_chunks where tenant_id = $1) as ok
         from kb_stats s where s.tenant_id = $1`,
      [tenantId],
    );
    expect(totals?.ok).toBe(true);
    const [postings] = await server.database.query<{ orphans: number; missing: number }>(
      `select (select count(*)::int from kb_postings p where p.tenant_id = $1
                and not exists (select 1 from kb_chunks c where c.tenant_id = p.tenant_id and c.chunk_id = p.chunk_id)) as orphans,
              (select count(*)::int from kb_chunks c, unnest(c.tsv) u where c.tenant_id = $1
                and not exists (select 1 from kb_postings p where p.tenant_id = c.tenant_id and p.chunk_id = c.chunk_id and p.term = u.lexeme)) as missing`,
      [tenantId],
    );
    expect(postings).toEqual({ orphans: 0, missing: 0 });
  }

  it('keeps document frequencies, lengths and postings exact through creates, updates and deletes', async () => {
    await upsertArticles(server.database.db, tenantId, [
      article('a', '## One\nThe thermostat pairs over wifi.\n\n## Two\nThe hub blinks blue.'),
      article('b', 'Refunds reach the card in five days.'),
      article('c', 'Batteries: two AA lithium cells for the valve.'),
    ]);
    await expectIndexExact();
    await upsertArticles(server.database.db, tenantId, [article('a', 'Only one section now, about wifi pairing and wifi routers.'), article('d', 'New article on heat pumps.')]);
    await expectIndexExact();
    expect(await deleteArticle(server.database.db, tenantId, 'b')).toBe(true);
    expect(await deleteArticle(server.database.db, tenantId, 'b')).toBe(false);
    await expectIndexExact();
  });
});
