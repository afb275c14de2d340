import type { HelpdeskSelectors } from '../selectors';

/**
 * Freshdesk agent UI hooks (shared/docs/helpdesk-dom.md section 4). Each list is ordered newest or
 * most specific first.
 *
 * UNVERIFIED: the doc has no public source for Freshdesk's conversation thread, requester name,
 * send button or send-and-set-status menu. Those hooks below (marked "unverified") are plausible
 * guesses in the style of the app's own `data-test-id` attributes, chosen so the demo helpdesk and
 * the saved fixtures can carry them; check them against a live account and override them as data.
 * The reply editor hook itself is only corroborated by unnamed public code.
 */
export const freshdeskSelectors = {
  // Some accounts' links drop the `/a` prefix: the shorter form is the documented fallback.
  ticketIdFromPath: ['/a/tickets/(\\d+)', '/tickets/(\\d+)'],
  // Freshdesk shows one ticket at a time; the wrapper holds the header, details and sidebar.
  activePane: ['.app-main-wrapper:has(#ticket-details)', '#ticket-details'],
  // The breadcrumb shows the number of the ticket on screen, which lags the URL while loading.
  paneTicketNumber: ['.breadcrumb__item.active', '#ticket-display-id'],
  subject: ['.sentiment-ticket-heading', '.ticket-subject-heading', 'h2.subject'],
  tags: ['.ticket-tags ul li .tag-options'],
  requesterName: [
    '[data-test-id="requester-info-name"]', // unverified
    '.requester-info .requester-name', // unverified
  ],
  thread: [
    '[data-test-id="conversation-list"]', // unverified
    '#ticket-details',
  ],
  message: [
    '[data-test-id="conversation-item"]', // unverified
    '.conversation-item', // unverified
  ],
  messageSender: ['[data-test-id="conversation-sender"]'], // unverified
  // Freshdesk renders stored rich text in Froala's `.fr-view` container.
  messageBody: [
    '[data-test-id="conversation-body"]', // unverified
    '.fr-view:not([contenteditable])',
  ],
  messageTime: ['time[datetime]'],
  messageInternal: [
    '[data-test-id="private-note-label"]', // unverified
    '.private-note', // unverified
  ],
  // No customer marker known: authorship comes from the requester's name.
  messageFromCustomer: [],
  composer: [
    '[data-test-id="reply-editor"] .fr-element.fr-view[contenteditable="true"]', // unverified scope
    '.fr-element.fr-view[contenteditable="true"]', // Froala
    '.redactor-editor[contenteditable="true"]', // older Redactor editor
  ],
  sendButton: [
    'button[data-test-id="send-button"]', // unverified
    'button[aria-label="Send"]', // unverified
  ],
  sendMenuButton: [
    'button[data-test-id="send-dropdown-trigger"]', // unverified
    'button[aria-label="Send and set status"]', // unverified
  ],
  sendMenuItem: [
    '[data-test-id="send-dropdown-item"]', // unverified
    '[role="menuitem"]',
  ],
} as const satisfies HelpdeskSelectors;
