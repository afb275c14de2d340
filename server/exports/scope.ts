import { instant, type ExportRequest, type ExportTimeField } from '../../lib/contract';
import type { Database } from '../db/client';

/** Rows read per database round trip. Exports hold one page (and what it joins) at a time. */
export const PAGE_SIZE = 500;

/** A bad filter found before anything is streamed (unknown team, unknown prompt version): a 400. */
export class ExportInputError extends Error {}

/** Which annotation events an export reads. The tenant is always set: exports never cross tenants. */
export interface ExportScope {
  tenantId: string;
  time: ExportTimeField;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  teamId?: string;
  experiment?: string;
  arm?: string;
  pageSize: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Turns the request's filters into a scope, resolving the team by id or slug within the tenant. */
export async function resolveScope(
  database: Database,
  tenantId: string,
  request: ExportRequest,
  pageSize = PAGE_SIZE,
): Promise<ExportScope> {
  let teamId: string | undefined;
  if (request.team !== undefined) {
    const byId = UUID.test(request.team);
    const [team] = await database.query<{ id: string }>(
      `select id::text as id from teams where tenant_id = $1::uuid and (slug = $2 ${byId ? 'or id = $3::uuid' : ''})`,
      byId ? [tenantId, request.team, request.team] : [tenantId, request.team],
    );
    if (!team) throw new ExportInputError(`team: no team "${request.team}" in this tenant`);
    teamId = team.id;
  }
  return {
    tenantId,
    time: request.time,
    from: request.from ? instant(request.from) : undefined,
    to: request.to ? instant(request.to) : undefined,
    teamId,
    experiment: request.experiment,
    arm: request.arm,
    pageSize,
  };
}

/** Positional SQL parameters, numbered as they are added. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export const TIME_COLUMN: Record<ExportTimeField, string> = { received: 'received_at', created: 'client_created_at' };

/** The scope's conditions on an events alias: tenant, window, team, experiment and arm. */
export function eventConditions(scope: ExportScope, params: Params, alias = 'e'): string[] {
  const column = `${alias}.${TIME_COLUMN[scope.time]}`;
  const conditions = [`${alias}.tenant_id = ${params.add(scope.tenantId)}::uuid`];
  if (scope.from) conditions.push(`${column} >= ${params.add(scope.from.toISOString())}::timestamptz`);
  if (scope.to) conditions.push(`${column} < ${params.add(scope.to.toISOString())}::timestamptz`);
  if (scope.teamId) conditions.push(`${alias}.team_id = ${params.add(scope.teamId)}::uuid`);
  if (scope.experiment !== undefined) conditions.push(`${alias}.experiment_key = ${params.add(scope.experiment)}`);
  if (scope.arm !== undefined) conditions.push(`${alias}.experiment_arm = ${params.add(scope.arm)}`);
  return conditions;
}

/** Where a keyset page ended: the sort key of its last row, as text so that no precision is lost. */
export interface Cursor {
  time: string;
  id: string;
}

export interface KeysetRow {
  cursor_time: string;
  cursor_id: string;
}

/**
 * Reads a query in pages ordered by (time, id), each page starting after the last row of the one
 * before (keyset pagination: no OFFSET, no long-lived cursor or transaction, so PGlite's single
 * connection is free between pages). `build` writes the query for one page of at most `pageSize`
 * rows; it must select `cursor_time` (the time as text) and `cursor_id`, order by them and use
 * `after` when given.
 */
export async function* keysetPages<T extends KeysetRow>(
  database: Database,
  pageSize: number,
  build: (params: Params, after: Cursor | null) => string,
): AsyncGenerator<T[]> {
  let after: Cursor | null = null;
  for (;;) {
    const params = new Params();
    const rows: T[] = await database.query<T>(build(params, after), params.values);
    if (rows.length) yield rows;
    const last: T | undefined = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = { time: last.cursor_time, id: last.cursor_id };
  }
}

/** `(time, id) > (cursor)` for a keyset page, or nothing for the first page. */
export function afterCursor(params: Params, after: Cursor | null, timeExpr: string, idExpr: string): string[] {
  if (!after) return [];
  return [`(${timeExpr}, ${idExpr}) > (${params.add(after.time)}::timestamptz, ${params.add(after.id)}::uuid)`];
}

/**
 * Pages of annotation events in the scope, in (time, id) order. `select` names the columns wanted
 * (events are `e`), `joins` adds tables (e.g. the suggestion as `s`), `where` adds conditions.
 */
export function eventPages<T>(
  database: Database,
  scope: ExportScope,
  query: { select: string; joins?: string; where: (params: Params) => string[] },
): AsyncGenerator<(T & KeysetRow)[]> {
  const column = `e.${TIME_COLUMN[scope.time]}`;
  return keysetPages<T & KeysetRow>(database, scope.pageSize, (params, after) => {
    const conditions = [...eventConditions(scope, params), ...query.where(params), ...afterCursor(params, after, column, 'e.id')];
    return `select ${query.select}, ${column}::text as cursor_time, e.id::text as cursor_id
              from events e ${query.joins ?? ''}
             where ${conditions.join('\n and ')}
             order by ${column}, e.id
             limit ${scope.pageSize}`;
  });
}

/** A later event of the same type by the same agent on the same suggestion replaces this one (`e`). */
export function notSuperseded(type: string, params: Params, extra = ''): string {
  return `not exists (select 1 from events later
                       where later.tenant_id = e.tenant_id and later.suggestion_id = e.suggestion_id
                         and later.agent_id = e.agent_id and later.type = ${params.add(type)}
                         and (later.client_created_at, later.id) > (e.client_created_at, e.id) ${extra})`;
}
