import { z } from 'zod';
import { Helpdesk } from './common';

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
    /**
     * The signed-in agent (a user menu or avatar), for enrollment: the id from `data-agent-id` or
     * `data-user-id`, the email from `data-agent-email`, `data-email`, a `mailto:` link or an email
     * address in its title or text, the name from `data-agent-name`, `title`, `aria-label` or its
     * text. Optional: without a match the helpdesk's own fallback (Zendesk: its `/api/v2/users/me`) answers.
     */
    agentIdentity: selectorList.optional(),
  })
  .strict();
export type HelpdeskSelectors = z.infer<typeof HelpdeskSelectors>;

export const SELECTOR_KEYS = Object.keys(HelpdeskSelectors.shape) as (keyof HelpdeskSelectors)[];
export const SelectorKey = z.enum(SELECTOR_KEYS as [keyof HelpdeskSelectors, ...(keyof HelpdeskSelectors)[]]);
export type SelectorKey = z.infer<typeof SelectorKey>;

/**
 * A tenant's fix for a helpdesk whose UI changed: the keys it names replace the extension's
 * built-in lists for that key; keys it leaves out keep the built-in ones.
 */
export const SelectorOverrides = HelpdeskSelectors.partial().strict();
export type SelectorOverrides = z.infer<typeof SelectorOverrides>;

/** `PUT /v1/admin/helpdesks/:helpdesk/selectors` */
export const SelectorOverridesPut = z.object({ selectors: SelectorOverrides }).strict();

/** `GET /v1/helpdesks/:helpdesk/selectors`: what the extension applies (empty when nothing is overridden). */
export const SelectorOverridesResponse = z.object({
  helpdesk: Helpdesk,
  selectors: SelectorOverrides,
  updatedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type SelectorOverridesResponse = z.infer<typeof SelectorOverridesResponse>;

/** `POST /v1/diagnostics/selector-misses`: a hook that stopped matching on an agent's page. */
export const SelectorMissReport = z
  .object({
    helpdesk: Helpdesk,
    key: SelectorKey,
    clientVersion: z.string().min(1).max(32),
    /** Whether the failing list came from a server override rather than the built-in set. */
    overridden: z.boolean(),
  })
  .strict();
export type SelectorMissReport = z.infer<typeof SelectorMissReport>;

/** `GET /v1/admin/selector-misses`: counts per helpdesk, hook and extension version. */
export const SelectorMissRow = z.object({
  helpdesk: Helpdesk,
  key: SelectorKey,
  clientVersion: z.string(),
  overridden: z.boolean(),
  count: z.int(),
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type SelectorMissRow = z.infer<typeof SelectorMissRow>;
