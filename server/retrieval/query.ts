import type { TicketContext } from '../../lib/contract';

/**
 * Builds a search query from a ticket: the subject, the latest customer message, and the names
 * (products, places, businesses) mentioned earlier in the conversation, with quoted history,
 * signatures and greetings removed, since they add words that match every article. Follow-up
 * questions ("does it have free parking?") rarely repeat what "it" is; the names carry it.
 */
export function queryFromTicket(ticket: Pick<TicketContext, 'subject' | 'messages'>): string {
  const visible = ticket.messages.filter((m) => !m.internal);
  const latestIndex = visible.map((m) => m.author).lastIndexOf('customer');
  const latest = latestIndex >= 0 ? cleanMessage(visible[latestIndex]!.text) : '';
  const earlier = visible.slice(0, Math.max(0, latestIndex)).reverse();
  const names: string[] = [];
  for (const message of earlier) {
    for (const name of namesIn(cleanMessage(message.text))) {
      if (!names.includes(name) && !latest.includes(name)) names.push(name);
    }
  }
  return [ticket.subject, latest, names.slice(0, MAX_CONTEXT_NAMES).join(' ')].filter(Boolean).join('\n').trim();
}

/** Names taken from earlier messages; the most recent first. */
const MAX_CONTEXT_NAMES = 4;
/** Capitalised words that start sentences or address people, not names of things. */
const NOT_NAMES = new Set(
  'I Hi Hello Hey Dear Thanks Thank Please Yes No Ok Okay Sure Great Good The A An It Is Are Can Could Would Will Do Does Did What When Where Which Who Why How My Our Your This That There They We You He She Also And But Or So If Then Just Let Sorry'.split(
    ' ',
  ),
);

/** Runs of capitalised words (e.g. "Maharajah Tandoori", "Halo thermostat" → "Halo"). */
export function namesIn(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/\b[A-Z][\p{L}'&-]*(?:\s+(?:[A-Z][\p{L}'&-]*|of|the|and|&))*\b/gu)) {
    const words = match[0]
      .split(/\s+/)
      .filter((w, i, all) => !(i === 0 && (NOT_NAMES.has(w) || /^I['’]/.test(w))) && !(i === all.length - 1 && /^(of|the|and|&)$/.test(w)));
    const name = words.join(' ');
    if (name && !NOT_NAMES.has(name) && name.length > 1) names.push(name);
  }
  return names;
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
