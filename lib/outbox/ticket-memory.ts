import type { TicketMemoryKey } from '../contract';
import type { OutboxDb } from './db';

const keyOf = ({ helpdesk, ticketId }: TicketMemoryKey) => `${helpdesk}:${ticketId}`;

/** Whether the agent already answered or skipped the rationale prompt on this ticket. */
export async function rationaleDone(db: OutboxDb, key: TicketMemoryKey): Promise<boolean> {
  return (await db.ticketMemory.get(keyOf(key)))?.rationaleDone ?? false;
}

export async function rememberRationale(db: OutboxDb, key: TicketMemoryKey, done: boolean, now = Date.now()): Promise<void> {
  await db.ticketMemory.put({ key: keyOf(key), rationaleDone: done, updatedAt: now });
}
