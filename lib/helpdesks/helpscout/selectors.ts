import type { HelpdeskSelectors } from '../selectors';

/**
 * Help Scout hooks (shared/docs/helpdesk-dom.md section 6). Its `data-cy` attributes are Cypress
 * test ids, the same kind of contract as Zendesk's `data-test-id`. Each list is ordered newest or
 * most specific first.
 *
 * UNVERIFIED: the doc has no public source for Help Scout's conversation view, thread, composer or
 * send controls. Those hooks below (marked "unverified") are plausible guesses in the app's own
 * `data-cy` naming (component names, dot-separated parts), chosen so the demo helpdesk and the saved
 * fixtures can carry them; check them against a live account and override them as data.
 */
export const helpscoutSelectors = {
  // `/conversation/<id>/<number>`: the id is what Help Scout's API addresses, so it keys the ticket;
  // the number is what the page displays.
  ticketIdFromPath: ['/conversations?/(?<id>\\d+)/(?<number>\\d+)', '/conversations?/(?<id>\\d+)'],
  activePane: [
    '[data-cy="Conversation"]', // unverified
    'main:has([aria-label="Conversation Subject"])',
  ],
  paneTicketNumber: ['[data-cy="ConversationHeader"] [data-cy="ConversationNumber"]'], // unverified
  subject: ['[aria-label="Conversation Subject"]', '#subjectLine', '[data-cy="EditableTextarea"]'],
  tags: ['[data-cy="Tag"]', '.tag'],
  requesterName: ['[data-cy="CustomerProfile.Name"]'], // unverified
  thread: ['[data-cy="ThreadList"]'], // unverified
  message: ['[data-cy="ThreadItem"]'], // unverified
  messageSender: ['[data-cy="ThreadItem.Author"]'], // unverified
  messageBody: ['[data-cy="ThreadItem.Body"]'], // unverified
  messageTime: ['time[datetime]'],
  // Help Scout threads have a type: customer, message (an agent reply) or note.
  messageInternal: ['[data-thread-type="note"]'], // unverified
  messageFromCustomer: ['[data-thread-type="customer"]'], // unverified
  composer: [
    '[data-cy="ReplyEditor"] [contenteditable="true"]', // unverified
    '[role="textbox"][contenteditable="true"][aria-label="Reply"]', // unverified
    '.redactor-editor[contenteditable="true"]', // unverified: older editor
  ],
  sendButton: ['button[data-cy="SendButton"]'], // unverified
  sendMenuButton: ['button[data-cy="SendButton.StatusMenu"]'], // unverified
  sendMenuItem: [
    '[data-cy="SendButton.StatusItem"]', // unverified
    '[role="menuitem"]',
  ],
} as const satisfies HelpdeskSelectors;
