import type { TicketContext } from '../../lib/contract';

/**
 * Builds a search query from a ticket: the subject plus the latest customer message, with quoted
 * history, signatures and greetings removed, since they add words that match every article.
 */
export function queryFromTicket(ticket: Pick<TicketContext, 'subject' | 'messages'>): string {
  const latestCustomer = [...ticket.messages].reverse().find((m) => m.author === 'customer' && !m.internal);
  const parts = [ticket.subject, latestCustomer ? cleanMessage(latestCustomer.text) : ''];
  return parts.filter(Boolean).join('\n').trim();
}

const QUOTE_HEADER = /^(on .{3,200}wrote:|-{2,}\s*original message\s*-{2,}|from:\s.+@.+)$/i;
const SIGNATURE_START = /^(--\s*|sent from my .+|best( regards)?,?|kind regards,?|regards,?|thanks( so much| again)?,?|thank you,?|cheers,?|many thanks,?)$/i;
const GREETING = /^(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^.!?\n]{0,40}[,!]?$/i;

export function cleanMessage(text: string): string {
  const kept: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    if (QUOTE_HEADER.test(line)) break;
    if (SIGNATURE_START.test(line)) break;
    if (line.startsWith('>')) continue;
    if (kept.length === 0 && GREETING.test(line)) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

/** Lowercased word tokens; the same tokenizer feeds the full-text query and sentence scoring. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
