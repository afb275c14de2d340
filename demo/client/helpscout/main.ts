/**
 * Loopdesk demo helpdesk, Help Scout style: mailbox folders, a conversation list and one open
 * conversation at /demo/helpscout/conversation/:id/:number, switched in the app (pushState). Same
 * ticket store and API as the Zendesk-style page; the demo's conversation number is its id.
 */
import './helpscout.css';
import { BASE } from '../api';
import { h, relativeTime } from '../dom';
import { startSingleTicketPage } from '../single-ticket-app';
import { HELPSCOUT_STATUS, HelpscoutConversationView } from './conversation-view';

const conversationPath = (id: number) => `${BASE}/helpscout/conversation/${id}/${id}`;

startSingleTicketPage({
  classes: { list: 'hs-list-rows', count: 'hs-folder-count', main: 'hs-main', message: 'hs-message' },
  layout: ({ list, count, main, message }) =>
    h(
      'div',
      { class: 'hs-app' },
      h(
        'header',
        { class: 'hs-topnav' },
        h('span', { class: 'hs-brand', 'aria-hidden': 'true' }, '◆'),
        h(
          'nav',
          { class: 'hs-topnav-links', 'aria-label': 'Product' },
          h('span', { class: 'is-active' }, 'Inbox'),
          h('span', {}, 'Docs'),
          h('span', {}, 'Reports'),
          h('span', {}, 'Customers'),
        ),
        h('span', { class: 'hs-me', title: 'Demo Agent' }, 'DA'),
      ),
      h(
        'div',
        { class: 'hs-body' },
        h(
          'nav',
          { class: 'hs-folders', 'aria-label': 'Folders' },
          h('div', { class: 'hs-mailbox' }, 'Support'),
          h('div', { class: 'hs-folder is-active' }, 'All', count),
          ...['Unassigned', 'Mine', 'Drafts', 'Assigned', 'Closed', 'Spam'].map((name) => h('div', { class: 'hs-folder' }, name)),
        ),
        h('section', { class: 'hs-list', 'aria-label': 'Conversations' }, list),
        h('div', { class: 'hs-main-wrap' }, main, message),
      ),
    ),
  ticketPathPattern: /\/conversation\/(\d+)(?:\/\d+)?\/?$/,
  row: {
    href: conversationPath,
    className: 'hs-row',
    content: (t) => [
      h('span', { class: 'hs-row-top' }, h('span', { class: 'hs-row-customer' }, t.requesterName), h('span', { class: 'hs-row-time' }, relativeTime(t.updatedAt))),
      h('span', { class: 'hs-row-subject' }, t.subject),
      h('span', { class: `hs-row-status hs-status--${t.status}` }, `${HELPSCOUT_STATUS[t.status]} · #${t.id}`),
    ],
  },
  open: (ticket, ticketUpdated) => new HelpscoutConversationView(ticket, { ticketUpdated }),
  title: (ticket) => `#${ticket.id} ${ticket.subject} – Help Scout-style Loopdesk demo`,
  text: {
    pick: 'Pick a conversation from the list.',
    notFound: (id) => `Conversation ${id} does not exist.`,
    failed: (id) => `Conversation ${id} could not be loaded.`,
  },
});
