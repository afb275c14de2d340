import { AnnotationEvent, describeIssues, type EventResult } from '../lib/contract';
import type { Database } from './db/client';
import { events } from './db/schema';
import type { Caller } from './suggest';

/**
 * Validates each event on its own and stores the valid ones in one statement. The event id is the
 * idempotency key: an id already stored (or repeated within the batch) answers `duplicate`.
 */
export async function ingestEvents(database: Database, caller: Caller, batch: unknown[]): Promise<EventResult[]> {
  const results: EventResult[] = new Array(batch.length);
  const rows: (typeof events.$inferInsert)[] = [];
  const rowIndex: number[] = [];
  batch.forEach((raw, i) => {
    const parsed = AnnotationEvent.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : `events[${i}]`;
      results[i] = { id, status: 'rejected', error: describeIssues(parsed.error, ['events', i]) };
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
    const returned = await database.db
      .insert(events)
      .values(rows)
      .onConflictDoNothing({ target: events.id })
      .returning({ id: events.id });
    for (const r of returned) inserted.add(r.id);
  }
  rows.forEach((row, j) => {
    // Only the first copy of an id repeated inside the batch counts as accepted.
    const accepted = inserted.delete(row.id);
    results[rowIndex[j]!] = { id: row.id, status: accepted ? 'accepted' : 'duplicate' };
  });
  return results;
}
