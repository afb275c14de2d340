/**
 * Loopdesk demo helpdesk, Help Scout style: mailbox folders, a conversation list and one open
 * conversation at /demo/helpscout/conversation/:id/:number, switched in the app (pushState). Same
 * ticket store and API as the Zendesk-style page; the demo's conversation number is its id.
 */
import './helpscout.css';
import { BASE } from '../api';
import { h, relativeTime } from '../dom';
import { SingleTicketApp } from '../single-ticket-app';
import { HELPSCOUT_STATUS, HelpscoutConversationView } from './conversation-view';

const conversationPath = (id: number) => `${BASE}/helpscout/conversation/${id}/${id}`;

const root = document.getElementById('app');
if (root) {
  const list = h('ul', { class: 'hs-list-rows' });
  const count = h('span', { class: 'hs-folder-count' });
  const main = h('main', { class: 'hs-main' });
  const message = h('div', { class: 'hs-message', hidden: true });
  root.replaceChildren(
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
  );
  void new SingleTicketApp(root, {
    list,
    count,
    main,
    message,
    ticketIdFromPath: (path) => {
      const match = /\/conversation\/(\d+)(?:\/\d+)?\/?$/.exec(path);
      return match ? Number(match[1]) : null;
    },
    row: (t, active) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: conversationPath(t.id), 'data-ticket-id': t.id, class: active ? 'hs-row is-active' : 'hs-row', 'aria-current': active ? 'page' : null },
          h('span', { class: 'hs-row-top' }, h('span', { class: 'hs-row-customer' }, t.requesterName), h('span', { class: 'hs-row-time' }, relativeTime(t.updatedAt))),
          h('span', { class: 'hs-row-subject' }, t.subject),
          h('span', { class: `hs-row-status hs-status--${t.status}` }, `${HELPSCOUT_STATUS[t.status]} · #${t.id}`),
        ),
      ),
    open: (ticket, ticketUpdated) => new HelpscoutConversationView(ticket, { ticketUpdated }),
    title: (ticket) => `#${ticket.id} ${ticket.subject} – Help Scout-style Loopdesk demo`,
    text: {
      pick: 'Pick a conversation from the list.',
      notFound: (id) => `Conversation ${id} does not exist.`,
      failed: (id) => `Conversation ${id} could not be loaded.`,
    },
  }).start();
} else {
  console.error(`Loopdesk demo: #app not found (base ${BASE})`);
}
