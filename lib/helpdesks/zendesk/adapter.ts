import type { SendPath, TicketContextInput, TicketMessage } from '../../contract';
import { closestAny, queryAll, queryFirst, type HelpdeskAdapter } from '../types';
import { withTicketId, zendeskSelectors as sel } from './selectors';

/** How long after opening the submit menu a menu-item click still counts as a send. */
const STATUS_MENU_WINDOW_MS = 30_000;

export function createZendeskAdapter(doc: Document = document): HelpdeskAdapter {
  let submitMenuOpenedAt = 0;

  const activeTicketId = () => sel.ticketIdFromPath.exec(doc.location.pathname)?.[1] ?? null;

  const activePane = () => {
    const id = activeTicketId();
    return id ? queryFirst(doc, withTicketId(sel.activePane, id)) : null;
  };

  const readMessages = (pane: Element): TicketMessage[] => {
    const requesterName = queryFirst(pane, sel.requester)?.textContent?.trim().toLowerCase() ?? '';
    const log = queryFirst(pane, sel.log);
    if (!log) return [];
    return queryAll(log, sel.comment).map((article) => {
      const sender = queryFirst(article, sel.commentSender)?.textContent?.trim().toLowerCase() ?? '';
      const body = queryFirst<HTMLElement>(article, sel.commentBody);
      return {
        author: requesterName && requesterName.includes(sender) && sender ? 'customer' : 'agent',
        text: (body?.innerText ?? body?.textContent ?? '').trim(),
        createdAt: queryFirst(article, sel.commentTime)?.getAttribute('datetime') ?? undefined,
        internal: queryFirst(article, sel.internalNote) ? true : undefined,
      };
    });
  };

  return {
    helpdesk: 'zendesk',
    activeTicketId,
    activePane,
    readContext(): TicketContextInput | null {
      const ticketId = activeTicketId();
      const pane = activePane();
      if (!ticketId || !pane) return null;
      const subject = queryFirst<HTMLInputElement>(pane, sel.subject);
      return {
        helpdesk: 'zendesk',
        ticketId,
        subject: subject?.value ?? '',
        messages: readMessages(pane),
        locale: doc.documentElement.lang || undefined,
        tags: queryAll(pane, sel.tags).map((t) => t.textContent?.trim() ?? '').filter(Boolean),
      };
    },
    composer() {
      const pane = activePane();
      return pane ? queryFirst<HTMLElement>(pane, sel.composer) : null;
    },
    sendPathOfClick(target: Element): SendPath | null {
      const pane = activePane();
      if (!pane) return null;
      const inPane = (el: Element | null) => el !== null && pane.contains(el);
      if (inPane(closestAny(target, sel.submitMenuButton))) {
        submitMenuOpenedAt = Date.now();
        return null;
      }
      if (inPane(closestAny(target, sel.submitButton))) return 'button';
      if (closestAny(target, sel.statusMenuItem) && Date.now() - submitMenuOpenedAt < STATUS_MENU_WINDOW_MS) {
        submitMenuOpenedAt = 0;
        return 'status_menu';
      }
      return null;
    },
    isSendShortcut(event: KeyboardEvent): boolean {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return false;
      const composer = this.composer();
      return composer !== null && event.target instanceof Node && composer.contains(event.target);
    },
  };
}
