import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { KbArticleInput } from '../../lib/contract';
import type { Db } from '../db/client';
import { kbArticles, kbChunks } from '../db/schema';
import { chunkArticle } from './chunk';

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

function contentHash(article: KbArticleInput): string {
  return createHash('sha256')
    .update(JSON.stringify([article.title, article.body, article.url ?? null, article.locale ?? null]))
    .digest('hex');
}

/**
 * Adds (+1) or removes (−1) an article's chunks from the tenant's BM25 statistics: document
 * frequency per lexeme, chunk count and total length. Kept exact on every change, so ranking never
 * waits for a rebuild.
 */
async function applyChunkStats(tx: Tx, tenantId: string, articleId: string, sign: 1 | -1): Promise<void> {
  await tx.execute(sql`
    insert into kb_term_stats (tenant_id, term, df)
    select ${tenantId}::uuid, u.lexeme, ${sign} * count(*)::int
      from kb_chunks c, unnest(c.tsv) u
     where c.article_id = ${articleId}::uuid
     group by u.lexeme
    on conflict (tenant_id, term) do update set df = kb_term_stats.df + excluded.df`);
  await tx.execute(sql`
    insert into kb_stats (tenant_id, chunks, total_len)
    select ${tenantId}::uuid, ${sign} * count(*)::int, ${sign} * coalesce(sum(doc_len), 0)::bigint
      from kb_chunks where article_id = ${articleId}::uuid
    on conflict (tenant_id) do update
      set chunks = kb_stats.chunks + excluded.chunks, total_len = kb_stats.total_len + excluded.total_len`);
  if (sign < 0) await tx.execute(sql`delete from kb_term_stats where tenant_id = ${tenantId}::uuid and df <= 0`);
}

/** Inserts or updates one article and re-chunks it when its content changed. */
export async function upsertArticle(db: Db, tenantId: string, article: KbArticleInput): Promise<UpsertOutcome> {
  const hash = contentHash(article);
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: kbArticles.id, contentHash: kbArticles.contentHash })
      .from(kbArticles)
      .where(and(eq(kbArticles.tenantId, tenantId), eq(kbArticles.externalId, article.id)));
    if (existing?.contentHash === hash) return 'unchanged';
    const fields = {
      title: article.title,
      body: article.body,
      url: article.url ?? null,
      locale: article.locale ?? null,
      contentHash: hash,
      updatedAt: new Date(),
    };
    let articleId: string;
    if (existing) {
      articleId = existing.id;
      await applyChunkStats(tx, tenantId, articleId, -1);
      await tx.update(kbArticles).set(fields).where(eq(kbArticles.id, articleId));
      await tx.delete(kbChunks).where(eq(kbChunks.articleId, articleId));
    } else {
      const [row] = await tx
        .insert(kbArticles)
        .values({ tenantId, externalId: article.id, ...fields })
        .returning({ id: kbArticles.id });
      articleId = row!.id;
    }
    const chunks = chunkArticle(article.title, article.body);
    await tx.insert(kbChunks).values(
      chunks.map((chunk) => ({
        tenantId,
        chunkId: `${article.id}#${chunk.ordinal}`,
        articleId,
        ordinal: chunk.ordinal,
        heading: chunk.heading,
        content: chunk.content,
        searchText: chunk.searchText,
      })),
    );
    // BM25 document length: every occurrence of every lexeme the full-text parser kept.
    await tx.execute(sql`
      update kb_chunks c set doc_len = coalesce((select sum(array_length(u.positions, 1)) from unnest(c.tsv) u), 0)
       where c.article_id = ${articleId}::uuid`);
    await applyChunkStats(tx, tenantId, articleId, 1);
    return existing ? 'updated' : 'created';
  });
}

/** Removes an article and its chunks; false when the tenant has no article with that id. */
export async function deleteArticle(db: Db, tenantId: string, externalId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: kbArticles.id })
      .from(kbArticles)
      .where(and(eq(kbArticles.tenantId, tenantId), eq(kbArticles.externalId, externalId)));
    if (!existing) return false;
    await applyChunkStats(tx, tenantId, existing.id, -1);
    await tx.delete(kbArticles).where(eq(kbArticles.id, existing.id));
    return true;
  });
}
