import type { SelectorList } from '../types';

/**
 * Zendesk Agent Workspace hooks (private, changing contract; see shared/docs/helpdesk-dom.md). Each
 * list is ordered newest first; `{ticketId}` is replaced with the active ticket's id.
 */
export const zendeskSelectors = {
  /** URL path → ticket id. */
  ticketIdFromPath: /\/agent\/tickets\/(\d+)/,
  activePane: [
    '[data-side-conversations-anchor-id="{ticketId}"]', // pane anchored to the ticket id
    '.ticket-panes-grid-layout[data-is-active="true"]', // Sept 2023 grid layout
    'div[data-test-id^="ticket-"][data-is-active="true"]',
  ],
  subject: [
    'input[data-test-id="omni-header-subject"]',
    'input[data-test-id="ticket-pane-subject"]',
    'input[aria-label="Subject"]',
  ],
  requester: ['[data-test-id="ticket-system-field-requester-select"]'],
  tags: ['[data-test-id="ticket-system-field-tags-item-selected"]'],
  log: ['div[data-test-id="omni-log-container"]'],
  comment: ['article'],
  commentSender: ['[data-test-id="omni-log-item-sender"]'],
  commentBody: ['.zd-comment', '[data-test-id="omni-log-comment-item"]'],
  commentTime: ['time[datetime]'],
  internalNote: ['[data-test-id="omni-log-internal-note-tag"]'],
  composer: [
    '[data-test-id="omnicomposer-rich-text-ckeditor"]',
    '[data-test-id="editor-view"] .ck-editor__editable[contenteditable="true"]',
  ],
  submitButton: ['button[data-test-id="submit_button-button"]', '[data-test-id="omni-save-button"]'],
  submitMenuButton: ['[data-test-id="submit_button-menu-button"]', '[data-cy-test-id="submit_button-menu"]'],
  /** Garden menu items are generic: only counted right after the submit menu was opened. */
  statusMenuItem: ['[data-garden-id="menus.item"]', '[role="menuitem"]'],
} as const satisfies Record<string, SelectorList | RegExp>;

export function withTicketId(selectors: SelectorList, ticketId: string): string[] {
  return selectors.map((s) => s.replaceAll('{ticketId}', CSS.escape(ticketId)));
}
