import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { z } from 'zod';
import {
  describeIssues,
  ExperimentInput,
  type AuditEntry,
  type Experiment,
  type ExperimentArm,
  type ExperimentPatch,
  type ExperimentStatus,
  type Role,
} from '../../lib/contract';
import type { Database, Db } from '../db/client';
import { auditLog, experiments, models } from '../db/schema';
import { RETRIEVAL_KIND } from '../flywheel/models';
import { PROMPT_VERSIONS } from '../generation/prompt';

/** A request the store refuses: the status is the HTTP answer's, the message names the field. */
export class ExperimentError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Who makes a change, as the audit log records it. */
export interface Actor {
  agentId: string;
  name: string;
  role: Role;
  team: string | null;
}

export type ExperimentCreate = z.output<typeof ExperimentInput>;

/** The fields an audit entry compares, in the order entries list them. */
const AUDITED_FIELDS = ['description', 'mode', 'status', 'trafficShare', 'annotationSampling', 'teams', 'arms', 'controlArm'] as const;

/** `draft` → `running` ⇄ `paused`; anything → `stopped`, which is final. */
const NEXT_STATUSES: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  draft: ['running', 'stopped'],
  running: ['paused', 'stopped'],
  paused: ['running', 'stopped'],
  stopped: [],
};

/** Arm pairs are reported as `left+right` in a suggestion's experiment ref, which holds 64 characters. */
const EXPERIMENT_REF_ARM_CHARS = 64;

/** Reranker choices besides a specific model id. */
export const PROMOTED_RERANKER = 'promoted';
export const NO_RERANKER = 'none';

type ExperimentRow = typeof experiments.$inferSelect;

function toExperiment(row: ExperimentRow): Experiment {
  const arms = row.arms as ExperimentArm[];
  return {
    key: row.key,
    description: row.description,
    mode: row.mode,
    status: row.status,
    trafficShare: row.trafficShare,
    annotationSampling: row.annotationSampling,
    teams: row.teams as string[],
    arms,
    controlArm: row.controlArm ?? arms[0]!.name,
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** JSON with object keys sorted: jsonb reorders keys, so plain JSON.stringify would see false changes. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function changedFields(before: Experiment | null, after: Experiment): AuditEntry['changes'] {
  const changes: AuditEntry['changes'] = {};
  for (const field of AUDITED_FIELDS) {
    const old = before ? before[field] : null;
    if (before && stableJson(old) === stableJson(after[field])) continue;
    changes[field] = { before: old, after: after[field] };
  }
  return changes;
}

/**
 * Leads change only their own team's experiments: every team an experiment targets must be the
 * lead's, and an experiment for every team (`[]`) is an admin's. Admins are not restricted.
 */
function checkLeadScope(actor: Actor, teams: readonly string[], what: string): void {
  if (actor.role === 'admin') return;
  const own = actor.team;
  if (teams.length === 0) {
    throw new ExperimentError(403, `teams: ${what} targets every team, which only an admin may change; a lead may only target the lead's own team ${own === null ? '' : `("${own}")`}`.trimEnd());
  }
  const other = teams.find((team) => team !== own);
  if (other !== undefined) {
    throw new ExperimentError(403, `teams: ${what} targets team "${other}", and a lead may only change experiments of the lead's own team ("${own}")`);
  }
}

/** Serializes experiment writes of one tenant, so the one-running-experiment-per-team rule holds under concurrency. */
async function lockTenant(tx: Db, tenantId: string): Promise<void> {
  // NO KEY UPDATE, not UPDATE: foreign-key checks of other tables' inserts (KEY SHARE) are not blocked.
  await tx.execute(sql`select id from tenants where id = ${tenantId} for no key update`);
}

/**
 * Checks what zod cannot: prompt versions this server has, reranker models of this tenant, and arm
 * names that fit a pairwise experiment ref. Paths are the contract's (`arms[1].generation.promptVersion`).
 */
async function checkArmsAgainstServer(tx: Db, tenantId: string, mode: Experiment['mode'], arms: ExperimentArm[]): Promise<void> {
  const problems: string[] = [];
  const longest = [...arms].sort((a, b) => b.name.length - a.name.length);
  for (const [i, arm] of arms.entries()) {
    if (!(PROMPT_VERSIONS as readonly string[]).includes(arm.generation.promptVersion)) {
      problems.push(`arms[${i}].generation.promptVersion: expected one of ${PROMPT_VERSIONS.join(', ')}, got "${arm.generation.promptVersion}"`);
    }
    if (arm.reranker !== PROMOTED_RERANKER && arm.reranker !== NO_RERANKER) {
      const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(arm.reranker);
      const [model] = isUuid
        ? await tx
            .select({ id: models.id })
            .from(models)
            .where(and(eq(models.tenantId, tenantId), eq(models.kind, RETRIEVAL_KIND), eq(models.id, arm.reranker)))
        : [];
      if (!model) {
        problems.push(`arms[${i}].reranker: expected "promoted", "none" or the id of one of this tenant's models (GET /v1/admin/flywheel/models), got "${arm.reranker}"`);
      }
    }
    if (mode === 'pairwise') {
      const partner = longest.find((other) => other !== arm);
      if (partner && arm.name.length + 1 + partner.name.length > EXPERIMENT_REF_ARM_CHARS) {
        problems.push(`arms[${i}].name: in a pairwise experiment two arm names joined by "+" must fit in ${EXPERIMENT_REF_ARM_CHARS} characters`);
      }
    }
  }
  if (problems.length) throw new ExperimentError(400, problems.join('; '));
}

/** 409 naming the running experiment that already reaches one of `teams`. */
async function checkNoOverlap(tx: Db, tenantId: string, key: string, teams: string[]): Promise<void> {
  const others = await tx
    .select()
    .from(experiments)
    .where(and(eq(experiments.tenantId, tenantId), eq(experiments.status, 'running'), ne(experiments.key, key)));
  for (const row of others) {
    const other = toExperiment(row);
    // Empty team lists mean every team; otherwise the first team both lists reach.
    const shared = teams.length === 0 ? other.teams[0] : other.teams.length === 0 ? teams[0] : teams.find((t) => other.teams.includes(t));
    if (teams.length === 0 && other.teams.length === 0) {
      throw new ExperimentError(409, `experiment "${other.key}" is already running for every team; at most one running experiment may reach a team: pause or stop "${other.key}" first`);
    }
    if (shared !== undefined) {
      throw new ExperimentError(409, `experiment "${other.key}" is already running for team "${shared}"; at most one running experiment may reach a team: pause or stop "${other.key}" first`);
    }
  }
}

export async function writeAudit(tx: Db, tenantId: string, actor: Actor, action: AuditEntry['action'], key: string, changes: AuditEntry['changes']) {
  await tx.insert(auditLog).values({
    tenantId,
    actorName: actor.name,
    actorRole: actor.role,
    actorTeam: actor.team,
    action,
    subject: key,
    changes,
  });
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}

export async function listExperiments(database: Database, tenantId: string): Promise<Experiment[]> {
  const rows = await database.db.select().from(experiments).where(eq(experiments.tenantId, tenantId)).orderBy(desc(experiments.createdAt), experiments.key);
  return rows.map(toExperiment);
}

export async function listRunningExperiments(database: Database, tenantId: string): Promise<Experiment[]> {
  const rows = await database.db
    .select()
    .from(experiments)
    .where(and(eq(experiments.tenantId, tenantId), eq(experiments.status, 'running')))
    .orderBy(experiments.key);
  return rows.map(toExperiment);
}

export async function getExperiment(database: Database, tenantId: string, key: string): Promise<Experiment | null> {
  const [row] = await database.db.select().from(experiments).where(and(eq(experiments.tenantId, tenantId), eq(experiments.key, key)));
  return row ? toExperiment(row) : null;
}

/** Creates an experiment (a draft unless the input says `running`) and its audit entry, in one transaction. */
export async function createExperiment(database: Database, tenantId: string, input: ExperimentCreate, actor: Actor): Promise<Experiment> {
  if (input.status !== 'draft' && input.status !== 'running') {
    throw new ExperimentError(400, `status: a new experiment starts as "draft" or "running", not "${input.status}"`);
  }
  checkLeadScope(actor, input.teams, `experiment "${input.key}"`);
  try {
    return await database.db.transaction(async (tx) => {
      await lockTenant(tx, tenantId);
      const [existing] = await tx
        .select({ key: experiments.key })
        .from(experiments)
        .where(and(eq(experiments.tenantId, tenantId), eq(experiments.key, input.key)));
      if (existing) throw new ExperimentError(409, `key: an experiment "${input.key}" already exists; change it with PATCH /v1/admin/experiments/${input.key}`);
      await checkArmsAgainstServer(tx, tenantId, input.mode, input.arms);
      if (input.status === 'running') await checkNoOverlap(tx, tenantId, input.key, input.teams);
      const [row] = await tx
        .insert(experiments)
        .values({
          tenantId,
          key: input.key,
          description: input.description,
          mode: input.mode,
          status: input.status,
          trafficShare: input.trafficShare,
          annotationSampling: input.annotationSampling,
          teams: input.teams,
          arms: input.arms,
          controlArm: input.controlArm ?? null,
          createdBy: actor.agentId,
          updatedBy: actor.agentId,
        })
        .returning();
      const created = toExperiment(row!);
      await writeAudit(tx, tenantId, actor, 'experiment.created', created.key, changedFields(null, created));
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ExperimentError(409, `key: an experiment "${input.key}" already exists`);
    throw err;
  }
}

/**
 * Applies a patch: checks the status transition, the merged experiment (arms, control arm, mode)
 * and the one-running-experiment-per-team rule, then bumps the revision and writes an audit entry
 * with only the fields that changed. A patch that changes nothing changes nothing (no revision, no entry).
 */
export async function updateExperiment(database: Database, tenantId: string, key: string, patch: ExperimentPatch, actor: Actor): Promise<Experiment> {
  return database.db.transaction(async (tx) => {
    await lockTenant(tx, tenantId);
    const [row] = await tx.select().from(experiments).where(and(eq(experiments.tenantId, tenantId), eq(experiments.key, key)));
    if (!row) throw new ExperimentError(404, `no experiment "${key}"`);
    const current = toExperiment(row);
    checkLeadScope(actor, current.teams, `experiment "${key}"`);
    if (patch.teams) checkLeadScope(actor, patch.teams, 'the patch');
    if (current.status === 'stopped') {
      throw new ExperimentError(409, `experiment "${key}" is stopped, and a stopped experiment is final (kept for its metrics); create a new one instead`);
    }
    if (patch.status && patch.status !== current.status && !NEXT_STATUSES[current.status].includes(patch.status)) {
      throw new ExperimentError(
        409,
        `status: experiment "${key}" cannot go from ${current.status} to ${patch.status} (allowed from ${current.status}: ${NEXT_STATUSES[current.status].join(', ')})`,
      );
    }
    const merged = ExperimentInput.safeParse({
      key,
      description: patch.description ?? current.description,
      mode: patch.mode ?? current.mode,
      status: patch.status ?? current.status,
      trafficShare: patch.trafficShare ?? current.trafficShare,
      annotationSampling: patch.annotationSampling ?? current.annotationSampling,
      teams: patch.teams ?? current.teams,
      arms: patch.arms ?? current.arms,
      // An unnamed control arm stays unnamed (the first arm, whatever the arms become).
      controlArm: patch.controlArm ?? row.controlArm ?? undefined,
    });
    if (!merged.success) throw new ExperimentError(400, describeIssues(merged.error));
    const next = merged.data;
    if (patch.arms || patch.mode) await checkArmsAgainstServer(tx, tenantId, next.mode, next.arms);
    if (next.status === 'running') await checkNoOverlap(tx, tenantId, key, next.teams);

    const candidate: Experiment = { ...current, ...next, controlArm: next.controlArm ?? next.arms[0]!.name };
    const changes = changedFields(current, candidate);
    if (Object.keys(changes).length === 0) return current;
    const [updated] = await tx
      .update(experiments)
      .set({
        description: next.description,
        mode: next.mode,
        status: next.status,
        trafficShare: next.trafficShare,
        annotationSampling: next.annotationSampling,
        teams: next.teams,
        arms: next.arms,
        controlArm: next.controlArm ?? null,
        revision: sql`${experiments.revision} + 1`,
        updatedAt: new Date(),
        updatedBy: actor.agentId,
      })
      .where(and(eq(experiments.tenantId, tenantId), eq(experiments.key, key)))
      .returning();
    const result = toExperiment(updated!);
    await writeAudit(tx, tenantId, actor, 'experiment.updated', key, changes);
    return result;
  });
}

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1_000;

/** Audit entries of a tenant, newest first; only those about `subject` when given. */
export async function listAudit(database: Database, tenantId: string, options: { subject?: string; limit: number }): Promise<AuditEntry[]> {
  const rows = await database.db
    .select()
    .from(auditLog)
    .where(options.subject === undefined ? eq(auditLog.tenantId, tenantId) : and(eq(auditLog.tenantId, tenantId), eq(auditLog.subject, options.subject)))
    .orderBy(desc(auditLog.id))
    .limit(options.limit);
  return rows.map((r) => ({
    id: String(r.id),
    at: r.at.toISOString(),
    actor: { name: r.actorName, role: r.actorRole, team: r.actorTeam },
    action: r.action as AuditEntry['action'],
    subject: r.subject,
    changes: r.changes as AuditEntry['changes'],
  }));
}

/** How long a process trusts its copy of a tenant's running experiments (another replica's change shows within it). */
export const RUNNING_EXPERIMENTS_TTL_MS = 5_000;

/**
 * The running experiments of each tenant, cached so that `/v1/suggest` does not query them on every
 * request. Changes made through this process invalidate the tenant at once; those made by another
 * replica are seen within RUNNING_EXPERIMENTS_TTL_MS.
 */
export class RunningExperiments {
  private readonly entries = new Map<string, { loadedAt: number; experiments: Promise<Experiment[]> }>();

  constructor(
    private readonly database: Database,
    private readonly ttlMs = RUNNING_EXPERIMENTS_TTL_MS,
  ) {}

  get(tenantId: string): Promise<Experiment[]> {
    const entry = this.entries.get(tenantId);
    const now = Date.now();
    if (entry && now - entry.loadedAt < this.ttlMs) return entry.experiments;
    const loaded = listRunningExperiments(this.database, tenantId);
    this.entries.set(tenantId, { loadedAt: now, experiments: loaded });
    loaded.catch(() => this.entries.delete(tenantId));
    return loaded;
  }

  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}
