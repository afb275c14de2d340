import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { TenantSettings, type TenantSettingsResponse } from '../lib/contract';
import { requireAgentIdentity, requireRole, type AuthEnv } from './auth';
import type { Database } from './db/client';
import { tenantSettings } from './db/schema';
import { actorOf, tokenPrincipal } from './experiments/routes';
import { writeAudit } from './experiments/store';
import { conditionalJson } from './http/etag';
import { readJson } from './http/json-body';

/** A tenant's settings; empty (nothing decided) for a tenant whose admins never set any. */
export async function readTenantSettings(database: Database, tenantId: string): Promise<TenantSettingsResponse> {
  const [row] = await database.db.select().from(tenantSettings).where(eq(tenantSettings.tenantId, tenantId));
  if (!row) return { settings: {}, updatedAt: null };
  // Stored values were validated when written; a field a later version dropped is ignored.
  const parsed = TenantSettings.safeParse(row.settings);
  return { settings: parsed.success ? parsed.data : {}, updatedAt: row.updatedAt.toISOString() };
}

/**
 * Per-tenant cache for `/v1/suggest`, which reads the annotation sampling on every suggestion. A
 * change through this process drops the entry at once; other replicas see it within `ttlMs`.
 */
export class TenantSettingsCache {
  private readonly entries = new Map<string, { at: number; value: Promise<TenantSettingsResponse> }>();
  constructor(
    private readonly database: Database,
    private readonly ttlMs = 5_000,
  ) {}

  get(tenantId: string): Promise<TenantSettingsResponse> {
    const hit = this.entries.get(tenantId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const value = readTenantSettings(this.database, tenantId);
    this.entries.set(tenantId, { at: Date.now(), value });
    value.catch(() => this.entries.delete(tenantId));
    return value;
  }

  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}

/**
 * `GET /v1/tenant/settings` for any token (the extension polls it with `If-None-Match`) and
 * `PUT /v1/admin/tenant/settings` for admins: the whole settings object, replacing the last one,
 * with an audit entry naming each changed field.
 */
export function tenantSettingsRoutes(database: Database, cache: TenantSettingsCache): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>();
  routes.get('/tenant/settings', requireAgentIdentity(), async (c) => conditionalJson(c, await cache.get(tokenPrincipal(c).tenantId)));

  routes.put('/admin/tenant/settings', requireAgentIdentity(), requireRole('admin'), async (c) => {
    const body = await readJson(c, TenantSettings);
    if (!body.ok) return body.response;
    const principal = tokenPrincipal(c);
    const actor = actorOf(principal);
    await database.db.transaction(async (tx) => {
      const [before] = await tx.select().from(tenantSettings).where(eq(tenantSettings.tenantId, principal.tenantId)).for('update');
      const old = (before?.settings ?? {}) as Record<string, unknown>;
      const next = body.data as Record<string, unknown>;
      const changes: Record<string, { before: unknown; after: unknown }> = {};
      for (const field of new Set([...Object.keys(old), ...Object.keys(next)])) {
        if (JSON.stringify(old[field]) !== JSON.stringify(next[field])) changes[field] = { before: old[field] ?? null, after: next[field] ?? null };
      }
      if (Object.keys(changes).length === 0) return;
      await tx
        .insert(tenantSettings)
        .values({ tenantId: principal.tenantId, settings: body.data, updatedBy: actor.name })
        .onConflictDoUpdate({ target: tenantSettings.tenantId, set: { settings: body.data, updatedBy: actor.name, updatedAt: new Date() } });
      await writeAudit(tx, principal.tenantId, actor, 'tenant.settings.updated', 'tenant', changes);
    });
    cache.invalidate(principal.tenantId);
    return c.json(await cache.get(principal.tenantId));
  });
  return routes;
}
