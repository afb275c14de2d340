import { z } from 'zod';
import { Helpdesk } from './common';

export const TicketMessage = z.object({
  author: z.enum(['customer', 'agent', 'system']),
  text: z.string().max(50_000),
  createdAt: z.string().max(64).optional(),
  internal: z.boolean().optional(),
});
export type TicketMessage = z.infer<typeof TicketMessage>;

/** What an adapter reads from the active ticket; redacted before it leaves the browser. */
export const TicketContext = z.object({
  helpdesk: Helpdesk,
  ticketId: z.string().min(1).max(128),
  subject: z.string().max(1_000).default(''),
  messages: z.array(TicketMessage).max(200).default([]),
  locale: z.string().max(35).optional(),
  tags: z.array(z.string().max(100)).max(100).default([]),
});
export type TicketContext = z.infer<typeof TicketContext>;
export type TicketContextInput = z.input<typeof TicketContext>;
