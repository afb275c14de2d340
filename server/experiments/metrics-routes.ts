import type { Hono } from 'hono';
import { z } from 'zod';
import { describeIssues, MetricsQuery, Slug } from '../../lib/contract';
import { requireRole, tenantOfRequest, type AuthEnv } from '../auth';
import type { Database } from '../db/client';
import { experimentMetrics, MetricsInputError } from './metrics';

/** What the experiment's own definition says about its metrics; null when there is no such experiment. */
export interface ExperimentMetricsSettings {
  controlArm: string;
  arms: string[];
}

export interface MetricsRouteOptions {
  /**
   * Looks up the experiment's control arm and arms. Without it (or when it answers null) the
   * arms are those seen in the events and the control is `?control=` or the first of them.
   */
  experimentSettings?: (tenantId: string, key: string) => Promise<ExperimentMetricsSettings | null>;
}

const MetricsRequest = MetricsQuery.extend({
  control: Slug.optional(),
  /** The tenant, for the local CLI's system credential (a token always reads its own). */
  tenant: z.string().optional(),
});

/**
 * `GET /v1/admin/experiments/:key/metrics?from&to&bucket[&control]` for leads and admins: per-arm
 * metrics and per-bucket series (server/experiments/metrics.ts). An explicit `?control=` wins over
 * the experiment's own control arm, so a lead can compare against any arm.
 */
export function mountExperimentMetricsRoutes(api: Hono<AuthEnv>, database: Database, options: MetricsRouteOptions = {}): void {
  api.get('/admin/experiments/:key/metrics', requireRole('lead'), async (c) => {
    const parsed = MetricsRequest.safeParse(c.req.query());
    if (!parsed.success) return c.json({ error: describeIssues(parsed.error) }, 400);
    const key = c.req.param('key');
    if (!Slug.safeParse(key).success) return c.json({ error: `key: not an experiment key "${key}"` }, 400);
    const tenant = await tenantOfRequest(c, database.db, parsed.data.tenant);
    if ('response' in tenant) return tenant.response;
    const { tenantId } = tenant;
    const settings = (await options.experimentSettings?.(tenantId, key)) ?? null;
    try {
      const metrics = await experimentMetrics(database, tenantId, key, {
        controlArm: parsed.data.control ?? settings?.controlArm,
        arms: settings?.arms,
        from: parsed.data.from ? new Date(parsed.data.from) : null,
        to: parsed.data.to ? new Date(parsed.data.to) : null,
        bucket: parsed.data.bucket,
      });
      return c.json(metrics, 200, { 'cache-control': 'no-store' });
    } catch (err) {
      if (err instanceof MetricsInputError) return c.json({ error: err.message }, err.status);
      throw err;
    }
  });
}
