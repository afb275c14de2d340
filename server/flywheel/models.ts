import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import type { AnnotationQualityResponse } from '../../lib/contract';
import { models } from '../db/schema';
import type { AnnotatorSummary } from './run';

export const RETRIEVAL_KIND = 'retrieval';
export { REPLY_MEMORY_KIND } from '../generation/reply-memory';
export const MODEL_KINDS = ['retrieval', 'reply-memory'] as const;

/** A cache of promoted models (retrieval's ModelCache, the ReplyMemoryCache) to drop after a change. */
export interface ModelInvalidator {
  invalidate(tenantId?: string): void;
}
export type ModelStatus = 'candidate' | 'promoted' | 'retired';

export interface ModelSummary {
  id: string;
  kind: string;
  version: number;
  status: ModelStatus;
  metrics: unknown;
  trainedOn: unknown;
  createdAt: string;
  promotedAt: string | null;
}

/** A tenant's model versions, newest first (without their parameters). */
export async function listModels(database: Database, tenantId: string, kind: string = RETRIEVAL_KIND): Promise<ModelSummary[]> {
  const rows = await database.db
    .select({
      id: models.id,
      kind: models.kind,
      version: models.version,
      status: models.status,
      metrics: models.metrics,
      trainedOn: models.trainedOn,
      createdAt: models.createdAt,
      promotedAt: models.promotedAt,
    })
    .from(models)
    .where(and(eq(models.tenantId, tenantId), eq(models.kind, kind)))
    .orderBy(desc(models.version));
  return rows.map((r) => ({
    ...r,
    status: r.status as ModelStatus,
    createdAt: r.createdAt.toISOString(),
    promotedAt: r.promotedAt?.toISOString() ?? null,
  }));
}

export async function nextVersion(database: Database, tenantId: string, kind: string = RETRIEVAL_KIND): Promise<number> {
  const [row] = await database.db
    .select({ v: sql<number>`coalesce(max(${models.version}), 0)::int` })
    .from(models)
    .where(and(eq(models.tenantId, tenantId), eq(models.kind, kind)));
  return (row?.v ?? 0) + 1;
}

/**
 * Makes `id` the tenant's promoted version of its kind; the one promoted before is retired. In one
 * transaction, so retrieval never sees two promoted versions or none in between.
 */
export async function promoteModel(database: Database, tenantId: string, id: string, cache?: ModelInvalidator): Promise<ModelSummary> {
  let kind = RETRIEVAL_KIND;
  await database.db.transaction(async (tx) => {
    const [target] = await tx.select({ kind: models.kind }).from(models).where(and(eq(models.tenantId, tenantId), eq(models.id, id)));
    if (!target) throw new ModelInputError(`model: no model ${id} in this tenant`);
    kind = target.kind;
    await tx
      .update(models)
      .set({ status: 'retired' })
      .where(and(eq(models.tenantId, tenantId), eq(models.kind, target.kind), eq(models.status, 'promoted')));
    await tx.update(models).set({ status: 'promoted', promotedAt: new Date() }).where(eq(models.id, id));
  });
  cache?.invalidate(tenantId);
  return (await listModels(database, tenantId, kind)).find((m) => m.id === id)!;
}

/**
 * Retires the promoted version and promotes the one promoted before it (the latest retired version
 * that had been promoted); with none, retrieval goes back to no learned model.
 */
export async function rollbackModel(database: Database, tenantId: string, cache?: ModelInvalidator, kind: string = RETRIEVAL_KIND): Promise<ModelSummary | null> {
  const all = await listModels(database, tenantId, kind);
  const current = all.find((m) => m.status === 'promoted');
  if (!current) throw new ModelInputError('model: nothing is promoted, so there is nothing to roll back');
  const previous = all
    .filter((m) => m.status === 'retired' && m.promotedAt && m.version < current.version)
    .sort((a, b) => b.version - a.version)[0];
  if (previous) return promoteModel(database, tenantId, previous.id, cache);
  await retire(database, current.id);
  cache?.invalidate(tenantId);
  return null;
}

async function retire(database: Database, id: string) {
  await database.db.update(models).set({ status: 'retired' }).where(eq(models.id, id));
}

/** A bad model id or an impossible rollback: a 400/404, not a crash. */
export class ModelInputError extends Error {}

/**
 * The annotation quality the tenant's latest retrieval cycle estimated, with agent names: what a lead
 * reads to see whose labels the flywheel trusts less.
 */
export async function latestAnnotationQuality(database: Database, tenantId: string): Promise<AnnotationQualityResponse> {
  const [row] = await database.query<{ version: number; created_at: string; annotators: AnnotatorSummary | null }>(
    `select version, created_at::text as created_at, metrics->'annotators' as annotators
       from models where tenant_id = $1 and kind = $2 and metrics->'annotators' is not null and metrics->'annotators' <> 'null'::jsonb
      order by version desc limit 1`,
    [tenantId, RETRIEVAL_KIND],
  );
  if (!row?.annotators) return { modelVersion: null, estimatedAt: null, teamAccuracy: null, agents: [] };
  const ids = row.annotators.agents.map((a) => a.agentId);
  const names = new Map(
    (
      await database.query<{ id: string; name: string }>(
        `select id::text as id, coalesce(display_name, name) as name from agents where tenant_id = $1 and id::text = any($2::text[])`,
        [tenantId, ids],
      )
    ).map((r) => [r.id, r.name]),
  );
  return {
    modelVersion: row.version,
    estimatedAt: new Date(row.created_at).toISOString(),
    teamAccuracy: row.annotators.teamAccuracy,
    agents: row.annotators.agents.map((a) => ({ ...a, name: names.get(a.agentId) ?? null })),
  };
}
