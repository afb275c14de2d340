import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { describeIssues, ExperimentInput, ExperimentPatch, type AuditLog, type ExperimentList } from '../../lib/contract';
import { requireAgentIdentity, requireRole, type AuthEnv, type Principal } from '../auth';
import type { Database } from '../db/client';
import { readJson } from '../http/json-body';
import { conditionalJson } from '../http/etag';
import { agentAssignment } from './assignment';
import {
  createExperiment,
  DEFAULT_AUDIT_LIMIT,
  ExperimentError,
  getExperiment,
  listAudit,
  listExperiments,
  MAX_AUDIT_LIMIT,
  updateExperiment,
  type Actor,
  type RunningExperiments,
} from './store';

export interface ExperimentRouteOptions {
  database: Database;
  /** The cache `/v1/suggest` reads; every change here invalidates the tenant's entry. */
  running: RunningExperiments;
  pollSeconds: number;
}

const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(MAX_AUDIT_LIMIT).default(DEFAULT_AUDIT_LIMIT) });

type TokenPrincipal = Extract<Principal, { kind: 'token' }>;

/** Routes behind requireAgentIdentity() always have a token principal. */
export function tokenPrincipal(c: Context<AuthEnv>): TokenPrincipal {
  const principal = c.get('principal');
  if (principal.kind !== 'token') throw new Error('route needs an agent identity');
  return principal;
}

export function actorOf(principal: TokenPrincipal): Actor {
  return { agentId: principal.agentId, name: principal.agentName, role: principal.role, team: principal.teamSlug };
}

/**
 * Experiments for leads and admins of the token's tenant (`/v1/admin/experiments…`, `/v1/admin/audit`)
 * and the calling agent's assignment (`/v1/experiments/assignment`). Mounted on the authenticated API.
 */
export function experimentRoutes({ database, running, pollSeconds }: ExperimentRouteOptions): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>();
  const lead = [requireAgentIdentity(), requireRole('lead')] as const;

  const refused = (c: Context<AuthEnv>, err: unknown) => {
    if (err instanceof ExperimentError) return c.json({ error: err.message }, err.status);
    throw err;
  };
  const auditLimit = (c: Context<AuthEnv>) => {
    const parsed = AuditQuery.safeParse({ limit: c.req.query('limit') || undefined });
    return parsed.success ? parsed.data.limit : c.json({ error: describeIssues(parsed.error) }, 400);
  };

  routes.get('/admin/experiments', ...lead, async (c) => {
    const answer: ExperimentList = { experiments: await listExperiments(database, tokenPrincipal(c).tenantId) };
    return c.json(answer);
  });

  routes.post('/admin/experiments', ...lead, async (c) => {
    const body = await readJson(c, ExperimentInput);
    if (!body.ok) return body.response;
    const principal = tokenPrincipal(c);
    try {
      const created = await createExperiment(database, principal.tenantId, body.data, actorOf(principal));
      running.invalidate(principal.tenantId);
      return c.json(created, 201);
    } catch (err) {
      return refused(c, err);
    }
  });

  routes.get('/admin/experiments/:key', ...lead, async (c) => {
    const experiment = await getExperiment(database, tokenPrincipal(c).tenantId, c.req.param('key'));
    return experiment ? c.json(experiment) : c.json({ error: `no experiment "${c.req.param('key')}"` }, 404);
  });

  routes.patch('/admin/experiments/:key', ...lead, async (c) => {
    const body = await readJson(c, ExperimentPatch);
    if (!body.ok) return body.response;
    const principal = tokenPrincipal(c);
    try {
      const updated = await updateExperiment(database, principal.tenantId, c.req.param('key'), body.data, actorOf(principal));
      running.invalidate(principal.tenantId);
      return c.json(updated);
    } catch (err) {
      return refused(c, err);
    }
  });

  routes.get('/admin/experiments/:key/audit', ...lead, async (c) => {
    const limit = auditLimit(c);
    if (typeof limit !== 'number') return limit;
    const { tenantId } = tokenPrincipal(c);
    const key = c.req.param('key');
    if (!(await getExperiment(database, tenantId, key))) return c.json({ error: `no experiment "${key}"` }, 404);
    const answer: AuditLog = { entries: await listAudit(database, tenantId, { subject: key, limit }) };
    return c.json(answer);
  });

  routes.get('/admin/audit', ...lead, async (c) => {
    const limit = auditLimit(c);
    if (typeof limit !== 'number') return limit;
    const answer: AuditLog = { entries: await listAudit(database, tokenPrincipal(c).tenantId, { limit }) };
    return c.json(answer);
  });

  // Extensions poll this; an unchanged assignment costs a 304 and no body.
  routes.get('/experiments/assignment', requireAgentIdentity(), async (c) => {
    const principal = tokenPrincipal(c);
    const assignment = agentAssignment(
      await running.get(principal.tenantId),
      { agentId: principal.agentId, teamSlug: principal.teamSlug },
      pollSeconds,
    );
    return conditionalJson(c, assignment);
  });

  return routes;
}
