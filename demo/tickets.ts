/**
 * Demo helpdesk data: the zod schema of `demo/tickets.json`, its loader, and the shapes the demo's
 * own JSON API answers with. The client imports only types from here (`import type`), so nothing
 * Node-specific ends up in the browser bundle.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeIssues } from '../lib/contract/common';

export const DEMO_STATUSES = ['new', 'open', 'pending', 'solved'] as const;
/** Statuses an agent can submit with (Zendesk's "Submit as …" menu). */
export const DEMO_SUBMIT_STATUSES = ['open', 'pending', 'solved'] as const;

export const DemoStatus = z.enum(DEMO_STATUSES);
export type DemoStatus = z.infer<typeof DemoStatus>;
export const DemoSubmitStatus = z.enum(DEMO_SUBMIT_STATUSES);
export type DemoSubmitStatus = z.infer<typeof DemoSubmitStatus>;

const isoDate = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 date');

export const DemoComment = z.object({
  author: z.enum(['customer', 'agent']),
  authorName: z.string().min(1).max(200),
  /** Plain text with `\n` line breaks; the client renders it with textContent only. */
  body: z.string().min(1).max(50_000),
  createdAt: isoDate,
});
export type DemoComment = z.infer<typeof DemoComment>;

export const DemoTicket = z.object({
  id: z.int().positive(),
  subject: z.string().min(1).max(1_000),
  status: DemoStatus,
  priority: z.enum(['low', 'normal', 'high', 'urgent']),
  tags: z.array(z.string().min(1).max(100)).max(100),
  locale: z.string().min(1).max(35),
  requester: z.object({
    name: z.string().min(1).max(200),
    email: z.string().min(1).max(320),
  }),
  comments: z.array(DemoComment).max(500),
});
export type DemoTicket = z.infer<typeof DemoTicket>;

export const DemoTicketFile = z.array(DemoTicket).superRefine((tickets, ctx) => {
  const seen = new Set<number>();
  tickets.forEach((ticket, index) => {
    if (seen.has(ticket.id)) {
      ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate ticket id ${ticket.id}` });
    }
    seen.add(ticket.id);
  });
});

/** Body of `POST /demo/api/tickets/:id/comments`. */
export const DemoCommentInput = z.object({
  body: z.string().trim().min(1).max(50_000),
  status: DemoSubmitStatus.optional(),
});
export type DemoCommentInput = z.infer<typeof DemoCommentInput>;

/** A comment as the demo API returns it: the stored comment plus its id (`data-comment-id`). */
export type DemoApiComment = DemoComment & { id: number };
/** `GET /demo/api/tickets/:id` and the answer to a comment POST. */
export type DemoApiTicket = Omit<DemoTicket, 'comments'> & { comments: DemoApiComment[]; updatedAt: string };
/** One row of `GET /demo/api/tickets`. */
export type DemoTicketSummary = Pick<DemoTicket, 'id' | 'subject' | 'status'> & {
  requesterName: string;
  updatedAt: string;
};

export const DEFAULT_TICKETS_PATH = fileURLToPath(new URL('./tickets.json', import.meta.url));

/** Reads and validates the demo tickets (synchronous; throws with the zod path on bad data). */
export function loadDemoTickets(path: string = DEFAULT_TICKETS_PATH): DemoTicket[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read demo tickets from ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = DemoTicketFile.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid demo tickets in ${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
