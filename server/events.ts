import { AnnotationEvent, describeIssues, type EventResult } from '../lib/contract';
import type { Database } from './db/client';
import { events } from './db/schema';
import { findUnstorableText } from './http/storable';
import type { Caller } from './suggest';

/**
 * Why a contract-valid event still cannot be stored, naming the field (`events[3].finalText: …`),
 * or null. Text with U+0000 or unpaired surrogates, and timestamps outside the years 1–9999 (UTC),
 * made PostgreSQL fail the whole batch's statement: a 500 the extension retried forever.
 */
function unstorable(event: AnnotationEvent, i: number): string | null {
  const text = findUnstorableText(event, ['events', i]);
  if (text) return text;
  const year = new Date(event.createdAt).getUTCFullYear();
  if (!(year >= 1 && year <= 9999)) return `events[${i}].createdAt: out of range (years 0001 to 9999 in UTC)`;
  return null;
}

/**
 * Validates each event on its own and stores the valid ones in one statement. The event id is the
 * idempotency key: an id already stored (or repeated within the batch) answers `duplicate`.
 */
export async function ingestEvents(database: Database, caller: Caller, batch: unknown[]): Promise<EventResult[]> {
  const results: EventResult[] = new Array(batch.length);
  const rows: (typeof events.$inferInsert)[] = [];
  const rowIndex: number[] = [];
  /** Results carry each event's id as sent, so that a client can match them to what it queued. */
  const sentIds: string[] = batch.map((raw, i) =>
    typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : `events[${i}]`,
  );
  batch.forEach((raw, i) => {
    const parsed = AnnotationEvent.safeParse(raw);
    if (!parsed.success) {
      results[i] = { id: sentIds[i]!, status: 'rejected', error: describeIssues(parsed.error, ['events', i]) };
      return;
    }
    const problem = unstorable(parsed.data, i);
    if (problem) {
      results[i] = { id: sentIds[i]!, status: 'rejected', error: problem };
      return;
    }
    // Tenant and agent come from the token, whatever the body says.
    const event = { ...parsed.data, id: parsed.data.id.toLowerCase(), tenantId: caller.tenantId, agentId: caller.agentId };
    rows.push({
      id: event.id,
      tenantId: caller.tenantId,
      teamId: caller.teamId,
      agentId: caller.agentId,
      type: event.type,
      helpdesk: event.helpdesk,
      ticketId: event.ticketId,
      suggestionId: event.suggestionId,
      experimentKey: event.experiment?.key ?? null,
      experimentArm: event.experiment?.arm ?? null,
      payload: event,
      clientCreatedAt: new Date(event.createdAt),
    });
    rowIndex.push(i);
  });
  const inserted = new Set<string>();
  if (rows.length) {
    for (const r of await insertRows(database, caller, rows)) inserted.add(r.id);
  }
  rows.forEach((row, j) => {
    // Only the first copy of an id repeated inside the batch counts as accepted.
    const accepted = inserted.delete(row.id);
    results[rowIndex[j]!] = { id: sentIds[rowIndex[j]!]!, status: accepted ? 'accepted' : 'duplicate' };
  });
  return results;
}

/**
 * One statement for the whole batch with the events as a single JSON array parameter, its columns
 * read out in SQL: PostgreSQL parses and plans it once however many events there are, and the
 * text goes over the wire as it is (a `text[]` parameter would escape every quote of every
 * payload twice, once by the driver and once by the server). Returns the ids actually inserted (a
 * duplicate id, stored before or earlier in the batch, is skipped: the first copy wins).
 */
async function insertRows(database: Database, caller: Caller, rows: (typeof events.$inferInsert)[]): Promise<{ id: string }[]> {
  return database.query<{ id: string }>(
    `insert into events (id, tenant_id, team_id, agent_id, type, helpdesk, ticket_id, suggestion_id,
                         experiment_key, experiment_arm, payload, client_created_at)
     select (e->>'id')::uuid, $1::uuid, $2::uuid, $3::uuid, e->>'type', e->>'helpdesk', e->>'ticketId',
            (e->>'suggestionId')::uuid, e->'experiment'->>'key', e->'experiment'->>'arm', e,
            (e->>'createdAt')::timestamptz
       from jsonb_array_elements($4::jsonb) with ordinality as u(e, position)
      order by u.position
     on conflict (id) do nothing
     returning id`,
    [caller.tenantId, caller.teamId, caller.agentId, JSON.stringify(rows.map((r) => r.payload))],
  );
}
