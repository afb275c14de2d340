import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { KbArticleInput } from '../../lib/contract';
import type { Db } from '../db/client';
import { kbArticles, kbChunks } from '../db/schema';
import { chunkArticle } from './chunk';

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

function contentHash(article: KbArticleInput): string {
  return createHash('sha256')
    .update(JSON.stringify([article.title, article.body, article.url ?? null, article.locale ?? null]))
    .digest('hex');
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
    return existing ? 'updated' : 'created';
  });
}
