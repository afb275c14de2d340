import { desc, eq, sql } from 'drizzle-orm';
import type { FinetuneJob, FinetuneJobRecord, FinetuneKind } from '../../lib/contract';
import type { Database } from '../db/client';
import { finetuneJobs } from '../db/schema';

/**
 * Records a job or, when the tenant already has one with this provider job id, updates it (status,
 * fine-tuned model, error). Returns the row as stored.
 */
export async function saveFinetuneJob(database: Database, tenantId: string, record: FinetuneJobRecord): Promise<FinetuneJob> {
  const [row] = await database.db
    .insert(finetuneJobs)
    .values({ tenantId, ...record })
    .onConflictDoUpdate({
      target: [finetuneJobs.tenantId, finetuneJobs.jobId],
      set: { status: record.status, fineTunedModel: record.fineTunedModel, error: record.error, updatedAt: sql`now()` },
    })
    .returning();
  return toJob(row!);
}

/** A tenant's recorded jobs, newest first. */
export async function listFinetuneJobs(database: Database, tenantId: string, limit = 100): Promise<FinetuneJob[]> {
  const rows = await database.db
    .select()
    .from(finetuneJobs)
    .where(eq(finetuneJobs.tenantId, tenantId))
    .orderBy(desc(finetuneJobs.createdAt), desc(finetuneJobs.id))
    .limit(limit);
  return rows.map(toJob);
}

function toJob(row: typeof finetuneJobs.$inferSelect): FinetuneJob {
  return {
    id: row.id,
    kind: row.kind as FinetuneKind,
    jobId: row.jobId,
    baseModel: row.baseModel,
    trainingFileId: row.trainingFileId,
    examples: row.examples,
    suffix: row.suffix,
    status: row.status,
    fineTunedModel: row.fineTunedModel,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
