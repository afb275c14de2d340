import { z } from 'zod';

/**
 * The shape every helpdesk's selector set has. It is plain JSON on purpose (strings and arrays of
 * strings, no RegExp, no functions): helpdesk UIs change without notice, and a set that is data can
 * be replaced per helpdesk from the server without shipping a new extension.
 *
 * Every list is ordered, newest or most specific hook first; the first one that matches wins.
 * `{ticketId}` in a selector is replaced with the active ticket's id (CSS-escaped).
 */
const selectorList = z.array(z.string().min(1).max(500)).max(20).readonly();

const regexSource = z
  .string()
  .min(1)
  .max(500)
  .refine((source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

export const HelpdeskSelectors = z
  .object({
    /**
     * Regular-expression sources tried in order against `location.pathname`. The ticket id is the
     * group named `id`, else the first group; a group named `number` is what the page itself shows
     * as the ticket's number when that differs from the id (Help Scout), else the id is.
     */
    ticketIdFromPath: z.array(regexSource).min(1).max(10).readonly(),
    /** Root of the active ticket; everything below is looked up inside it. */
    activePane: selectorList,
    /**
     * Elements in the pane that show the ticket's number. When one is found and its digits differ
     * from the URL's, the pane still shows the previous ticket (the URL changes before the view
     * does), so it is not the active ticket's pane yet. Empty: no such check.
     */
    paneTicketNumber: selectorList,
    subject: selectorList,
    tags: selectorList,
    /** The requester's name (or name and email): a message whose sender it contains is the customer's. */
    requesterName: selectorList,
    /** Container of the conversation inside the pane. */
    thread: selectorList,
    /** One message inside the thread. */
    message: selectorList,
    messageSender: selectorList,
    messageBody: selectorList,
    /** Element with a `datetime` attribute inside a message. */
    messageTime: selectorList,
    /** Matches a message that is an internal note, or an element inside it that marks it as one. */
    messageInternal: selectorList,
    /** Matches a message written by the customer, or an element inside it that says so. */
    messageFromCustomer: selectorList,
    /** The reply editor: the contenteditable (or CKEditor editable) the page bridge acts on. */
    composer: selectorList,
    /** Sends the reply as it is. */
    sendButton: selectorList,
    /** Opens the "send and set status" menu. */
    sendMenuButton: selectorList,
    /** An item of that menu; only counted shortly after the menu button was clicked. */
    sendMenuItem: selectorList,
  })
  .strict();
export type HelpdeskSelectors = z.infer<typeof HelpdeskSelectors>;

/** The active ticket as the URL names it. */
export interface TicketRef {
  id: string;
  /** What the page displays as the ticket's number (the id unless the pattern says otherwise). */
  number: string;
}

export function ticketRefFromPath(patterns: readonly string[], pathname: string): TicketRef | null {
  for (const source of patterns) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(source);
    } catch {
      continue;
    }
    const match = pattern.exec(pathname);
    const id = match?.groups?.id ?? match?.[1];
    if (!match || !id) continue;
    return { id, number: match.groups?.number ?? id };
  }
  return null;
}

export function withTicketId(selectors: readonly string[], ticketId: string): string[] {
  return selectors.map((s) => s.replaceAll('{ticketId}', CSS.escape(ticketId)));
}
