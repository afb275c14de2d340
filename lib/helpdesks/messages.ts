import type { TicketMessage } from '../contract';
import type { HelpdeskSelectors } from './selectors';
import { matchesOrContains, queryAll, queryFirst } from './types';

/** The contract's limits: a longer ticket is cut here rather than rejected as a whole. */
const MAX_MESSAGES = 200;
const MAX_TEXT = 50_000;

/** Controls that helpdesks put inside headings and chips (edit pencils, remove crosses, menus). */
const CONTROLS = 'button, [role="button"], input, select, textarea, svg, [aria-hidden="true"]';

/**
 * The text of a one-line field: an input's or textarea's value (subjects are often editable), or the
 * element's own text without the controls inside it, whitespace collapsed.
 */
export function fieldText(element: Element | null): string {
  if (!element) return '';
  if (element.tagName === 'INPUT' || element.tagName === 'TEXTAREA') {
    return ((element as HTMLInputElement).value ?? '').replace(/\s+/g, ' ').trim();
  }
  const copy = element.cloneNode(true) as Element;
  for (const control of Array.from(copy.querySelectorAll(CONTROLS))) control.remove();
  return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** The text of a message body, with the line breaks the page renders where it can tell. */
export function bodyText(element: Element | null): string {
  if (!element) return '';
  const rendered = (element as HTMLElement).innerText;
  return (typeof rendered === 'string' ? rendered : (element.textContent ?? '')).trim().slice(0, MAX_TEXT);
}

/**
 * The active ticket's conversation, oldest first. Authorship comes from a customer marker when the
 * helpdesk has one, else from the sender's name appearing in the requester field.
 */
export function readMessages(pane: Element, sel: HelpdeskSelectors): TicketMessage[] {
  const thread = queryFirst(pane, sel.thread);
  if (!thread) return [];
  const requester = fieldText(queryFirst(pane, sel.requesterName)).toLowerCase();
  const messages = queryAll(thread, sel.message).map((element): TicketMessage => {
    const sender = fieldText(queryFirst(element, sel.messageSender)).toLowerCase();
    const fromCustomer = matchesOrContains(element, sel.messageFromCustomer) || (sender !== '' && requester.includes(sender));
    return {
      author: fromCustomer ? 'customer' : 'agent',
      text: bodyText(queryFirst(element, sel.messageBody)),
      createdAt: queryFirst(element, sel.messageTime)?.getAttribute('datetime') ?? undefined,
      internal: matchesOrContains(element, sel.messageInternal) ? true : undefined,
    };
  });
  return chronological(messages).slice(-MAX_MESSAGES);
}

/**
 * Some helpdesks list the newest message first (Help Scout by default, and per agent preference),
 * so the order comes from the timestamps when every message has one; the sort is stable, so equal
 * times keep the page's order. Without timestamps the page's order is all there is.
 */
function chronological(messages: TicketMessage[]): TicketMessage[] {
  const times = messages.map((m) => (m.createdAt ? Date.parse(m.createdAt) : Number.NaN));
  if (times.some((t) => Number.isNaN(t))) return messages;
  return messages
    .map((message, i) => ({ message, time: times[i]! }))
    .sort((a, b) => a.time - b.time)
    .map((x) => x.message);
}
