import { Hono, type Context } from 'hono';
import { FinetuneJobRecord } from '../../lib/contract';
import { requireRole, type AuthEnv } from '../auth';
import type { Database } from '../db/client';
import { readJson } from '../http/json-body';
import { findTenant } from '../tenancy';
import { listFinetuneJobs, saveFinetuneJob } from './jobs';

/**
 * Fine-tuning jobs started by `loopdesk finetune`. Leads and admins list their tenant's; the local
 * CLI's system credential names the tenant with `?tenant=` and is the only caller that records jobs
 * (the CLI starts them on the provider and writes what it saw through here when a server holds the
 * database).
 */
export function finetuneRoutes(database: Database): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>();
  const tenantOf = async (c: Context<AuthEnv>): Promise<string | Response> => {
    const principal = c.get('principal');
    if (principal.kind !== 'system') return principal.tenantId;
    const slug = c.req.query('tenant');
    if (!slug) return c.json({ error: 'tenant: required query parameter' }, 400);
    return (await findTenant(database.db, slug)) ?? c.json({ error: `tenant: no tenant "${slug}"` }, 400);
  };

  routes.get('/admin/finetune/jobs', requireRole('lead'), async (c) => {
    const tenantId = await tenantOf(c);
    if (typeof tenantId !== 'string') return tenantId;
    return c.json({ jobs: await listFinetuneJobs(database, tenantId) });
  });

  routes.post('/admin/finetune/jobs', requireRole('admin'), async (c) => {
    if (c.get('principal').kind !== 'system') return c.json({ error: 'jobs are recorded by `loopdesk finetune`, not through a token' }, 403);
    const tenantId = await tenantOf(c);
    if (typeof tenantId !== 'string') return tenantId;
    const body = await readJson(c, FinetuneJobRecord);
    if (!body.ok) return body.response;
    return c.json(await saveFinetuneJob(database, tenantId, body.data));
  });
  return routes;
}
