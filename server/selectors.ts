import type { Helpdesk, SelectorMissReport, SelectorMissRow, SelectorOverrides, SelectorOverridesResponse } from '../lib/contract';
import type { Database } from './db/client';

/** The tenant's selector fixes for one helpdesk; empty when the built-in sets stand. */
export async function readSelectorOverrides(database: Database, tenantId: string, helpdesk: Helpdesk): Promise<SelectorOverridesResponse> {
  const [row] = await database.query<{ selectors: SelectorOverrides; updated_at: Date | string }>(
    'select selectors, updated_at from selector_overrides where tenant_id = $1 and helpdesk = $2',
    [tenantId, helpdesk],
  );
  return { helpdesk, selectors: row?.selectors ?? {}, updatedAt: row ? new Date(row.updated_at).toISOString() : null };
}

export async function writeSelectorOverrides(
  database: Database,
  tenantId: string,
  helpdesk: Helpdesk,
  selectors: SelectorOverrides,
  updatedBy: string | null,
): Promise<SelectorOverridesResponse> {
  await database.query(
    `insert into selector_overrides (tenant_id, helpdesk, selectors, updated_by, updated_at) values ($1, $2, $3::jsonb, $4, now())
     on conflict (tenant_id, helpdesk) do update set selectors = excluded.selectors, updated_by = excluded.updated_by, updated_at = now()`,
    [tenantId, helpdesk, JSON.stringify(selectors), updatedBy],
  );
  return readSelectorOverrides(database, tenantId, helpdesk);
}

/** Back to the extension's built-in selectors; false when nothing was overridden. */
export async function clearSelectorOverrides(database: Database, tenantId: string, helpdesk: Helpdesk): Promise<boolean> {
  const rows = await database.query('delete from selector_overrides where tenant_id = $1 and helpdesk = $2 returning helpdesk', [tenantId, helpdesk]);
  return rows.length > 0;
}

/** Counts one report of a hook that stopped matching (per helpdesk, hook, version and source). */
export async function recordSelectorMiss(database: Database, tenantId: string, report: SelectorMissReport): Promise<void> {
  await database.query(
    `insert into selector_misses (tenant_id, helpdesk, selector_key, client_version, overridden) values ($1, $2, $3, $4, $5)
     on conflict (tenant_id, helpdesk, selector_key, client_version, overridden)
     do update set count = selector_misses.count + 1, last_seen = now()`,
    [tenantId, report.helpdesk, report.key, report.clientVersion, report.overridden],
  );
}

export async function listSelectorMisses(database: Database, tenantId: string): Promise<SelectorMissRow[]> {
  const rows = await database.query<{
    helpdesk: Helpdesk;
    selector_key: SelectorMissRow['key'];
    client_version: string;
    overridden: boolean;
    count: number;
    first_seen: Date | string;
    last_seen: Date | string;
  }>(
    `select helpdesk, selector_key, client_version, overridden, count, first_seen, last_seen
       from selector_misses where tenant_id = $1 order by last_seen desc`,
    [tenantId],
  );
  return rows.map((r) => ({
    helpdesk: r.helpdesk,
    key: r.selector_key,
    clientVersion: r.client_version,
    overridden: r.overridden,
    count: r.count,
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
  }));
}
