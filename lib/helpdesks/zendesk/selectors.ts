import type { HelpdeskSelectors } from '../selectors';

/**
 * Zendesk Agent Workspace hooks (a private, changing contract; see shared/docs/helpdesk-dom.md
 * sections 1 and 2). Each list is ordered newest first.
 */
export const zendeskSelectors = {
  ticketIdFromPath: ['/agent/tickets/(\\d+)'],
  activePane: [
    '[data-side-conversations-anchor-id="{ticketId}"]', // pane anchored to the ticket id
    '.ticket-panes-grid-layout[data-is-active="true"]', // Sept 2023 grid layout
    'div[data-test-id^="ticket-"][data-is-active="true"]',
  ],
  // The pane is found by the ticket id itself, so it cannot be another ticket's.
  paneTicketNumber: [],
  subject: [
    'input[data-test-id="omni-header-subject"]',
    'input[data-test-id="ticket-pane-subject"]',
    'input[aria-label="Subject"]',
  ],
  tags: ['[data-test-id="ticket-system-field-tags-item-selected"]'],
  requesterName: ['[data-test-id="ticket-system-field-requester-select"]'],
  thread: ['div[data-test-id="omni-log-container"]'],
  message: ['article'],
  messageSender: ['[data-test-id="omni-log-item-sender"]'],
  messageBody: ['.zd-comment', '[data-test-id="omni-log-comment-item"]'],
  messageTime: ['time[datetime]'],
  messageInternal: ['[data-test-id="omni-log-internal-note-tag"]'],
  // No customer marker is known in the log: authorship comes from the requester's name.
  messageFromCustomer: [],
  composer: [
    '[data-test-id="omnicomposer-rich-text-ckeditor"]',
    '[data-test-id="editor-view"] .ck-editor__editable[contenteditable="true"]',
  ],
  sendButton: ['button[data-test-id="submit_button-button"]', '[data-test-id="omni-save-button"]'],
  sendMenuButton: ['[data-test-id="submit_button-menu-button"]', '[data-cy-test-id="submit_button-menu"]'],
  // Garden menu items are generic: only counted right after the submit menu was opened.
  sendMenuItem: ['[data-garden-id="menus.item"]', '[role="menuitem"]'],
} as const satisfies HelpdeskSelectors;
