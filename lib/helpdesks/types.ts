import type { Helpdesk, HelpdeskIdentity, SendPath, TicketContextInput } from '../contract';

/**
 * One helpdesk's DOM, behind the same questions. Features never touch raw selectors; every query is
 * scoped to the active ticket because helpdesks keep several tickets mounted at once.
 */
export interface HelpdeskAdapter {
  helpdesk: Helpdesk;
  /** The active ticket's id, or null when the page shows no ticket. */
  activeTicketId(): string | null;
  /** Root element of the active ticket, or null (a selector miss). */
  activePane(): Element | null;
  /** What the copilot needs to know about the active ticket. */
  readContext(): TicketContextInput | null;
  /** The active ticket's reply editor (the element the main-world bridge talks through). */
  composer(): HTMLElement | null;
  /** Which send control a click landed on, if any. */
  sendPathOfClick(target: Element): SendPath | null;
  /** Whether a keydown is the helpdesk's send shortcut inside the active composer. */
  isSendShortcut(event: KeyboardEvent): boolean;
  /** The signed-in agent (for enrollment): the `agentIdentity` hook, else the helpdesk's own fallback; null when unknown. */
  readAgentIdentity(): Promise<HelpdeskIdentity | null>;
}

/** Selectors are data: an ordered list of alternatives, the first that matches wins. */
export type SelectorList = readonly string[];

/**
 * Selector lists may come from the server one day, so one that the browser cannot parse (a typo, or
 * `:has()` in an old engine) is skipped like a miss instead of throwing out of every query.
 */
function attempt<T>(selector: string, query: (selector: string) => T, fallback: T): T {
  try {
    return query(selector);
  } catch {
    return fallback;
  }
}

export function queryFirst<T extends Element = Element>(root: ParentNode, selectors: SelectorList): T | null {
  for (const selector of selectors) {
    const found = attempt(selector, (s) => root.querySelector<T>(s), null);
    if (found) return found;
  }
  return null;
}

export function queryAll<T extends Element = Element>(root: ParentNode, selectors: SelectorList): T[] {
  for (const selector of selectors) {
    const found = attempt(selector, (s) => Array.from(root.querySelectorAll<T>(s)), []);
    if (found.length) return found;
  }
  return [];
}

export function closestAny(element: Element, selectors: SelectorList): Element | null {
  for (const selector of selectors) {
    const found = attempt(selector, (s) => element.closest(s), null);
    if (found) return found;
  }
  return null;
}

/** Whether `element` itself matches one of the selectors or contains an element that does. */
export function matchesOrContains(element: Element, selectors: SelectorList): boolean {
  return selectors.some((s) => attempt(s, (x) => element.matches(x) || element.querySelector(x) !== null, false));
}
