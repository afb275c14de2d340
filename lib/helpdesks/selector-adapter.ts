import type { Helpdesk, HelpdeskIdentity, TicketContextInput } from '../contract';
import { identityFromPage } from './agent-identity';
import { fieldText, readMessages } from './messages';
import { ticketRefFromPath, withTicketId, type HelpdeskSelectors } from './selectors';
import { createSendClickClassifier, isSendShortcut } from './send';
import { queryAll, queryFirst, type HelpdeskAdapter } from './types';

/**
 * The adapter the supported helpdesks share: everything that differs between them is in their
 * selector sets. Nothing is cached between calls, because these are single-page apps that replace
 * the ticket view on in-app navigation; every question starts again from the URL.
 */
export function createSelectorAdapter(
  helpdesk: Helpdesk,
  doc: Document,
  sel: HelpdeskSelectors,
  /** Where the signed-in agent comes from when the `agentIdentity` hook finds nothing. */
  identityFallback?: (doc: Document) => Promise<HelpdeskIdentity | null>,
): HelpdeskAdapter {
  const ticketRef = () => ticketRefFromPath(sel.ticketIdFromPath, doc.location.pathname);

  const activePane = (): Element | null => {
    const ref = ticketRef();
    if (!ref) return null;
    const pane = queryFirst(doc, withTicketId(sel.activePane, ref.id));
    if (!pane) return null;
    // The URL changes before the view does: a pane still showing another number is not this ticket's.
    const shown = /\d+/.exec(fieldText(queryFirst(pane, sel.paneTicketNumber)))?.[0];
    return shown === undefined || shown === ref.number ? pane : null;
  };

  const composer = (): HTMLElement | null => {
    const pane = activePane();
    return pane ? queryFirst<HTMLElement>(pane, sel.composer) : null;
  };

  return {
    helpdesk,
    activeTicketId: () => ticketRef()?.id ?? null,
    activePane,
    readContext(): TicketContextInput | null {
      const ref = ticketRef();
      const pane = activePane();
      if (!ref || !pane) return null;
      return {
        helpdesk,
        ticketId: ref.id,
        subject: fieldText(queryFirst(pane, sel.subject)).slice(0, 1_000),
        messages: readMessages(pane, sel),
        locale: doc.documentElement.lang || undefined,
        tags: queryAll(pane, sel.tags)
          .map((tag) => fieldText(tag).slice(0, 100))
          .filter(Boolean)
          .slice(0, 100),
      };
    },
    composer,
    sendPathOfClick: createSendClickClassifier(sel, activePane),
    isSendShortcut: (event) => isSendShortcut(event, composer),
    readAgentIdentity: async () => identityFromPage(doc, sel.agentIdentity) ?? (identityFallback ? identityFallback(doc) : null),
  };
}
