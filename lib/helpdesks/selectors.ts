import type { HelpdeskSelectors } from '../contract/selectors';

// The schema is part of the contract (lib/contract/selectors.ts: the server validates overrides with
// it); only its type is used here, so content scripts do not load the schema code.
export type { HelpdeskSelectors };

/** The active ticket as the URL names it. */
export interface TicketRef {
  id: string;
  /** What the page displays as the ticket's number (the id unless the pattern says otherwise). */
  number: string;
}

/** Compiled URL patterns (null for one that does not compile): asked on every DOM change and click. */
const compiledPatterns = new Map<string, RegExp | null>();

function compiled(source: string): RegExp | null {
  let pattern = compiledPatterns.get(source);
  if (pattern === undefined) {
    try {
      pattern = new RegExp(source);
    } catch {
      pattern = null;
    }
    compiledPatterns.set(source, pattern);
  }
  return pattern;
}

export function ticketRefFromPath(patterns: readonly string[], pathname: string): TicketRef | null {
  for (const source of patterns) {
    const pattern = compiled(source);
    if (!pattern) continue;
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
