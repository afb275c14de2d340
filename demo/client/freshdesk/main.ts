/**
 * Loopdesk demo helpdesk, Freshdesk style: a ticket list beside one open ticket, switched in the app
 * (pushState) at /demo/freshdesk/a/tickets/:id. Same ticket store and API as the Zendesk-style page.
 */
import './freshdesk.css';
import { BASE } from '../api';
import { h, relativeTime } from '../dom';
import { SingleTicketApp } from '../single-ticket-app';
import { FRESHDESK_STATUS, FreshdeskTicketView } from './ticket-view';

const ticketPath = (id: number) => `${BASE}/freshdesk/a/tickets/${id}`;

const root = document.getElementById('app');
if (root) {
  const list = h('ul', { class: 'fd-list-rows' });
  const count = h('span', { class: 'fd-list-count' });
  const main = h('main', { class: 'fd-main' });
  const message = h('div', { class: 'fd-message', hidden: true });
  root.replaceChildren(
    h(
      'div',
      { class: 'fd-app' },
      h(
        'nav',
        { class: 'fd-sidebar', 'aria-label': 'Product' },
        h('div', { class: 'fd-logo', 'aria-hidden': 'true' }, 'f'),
        ...['⌂', '✉', '☺', '▤', '⚙'].map((icon, i) =>
          h('span', { class: i === 1 ? 'fd-nav-item is-active' : 'fd-nav-item', 'aria-hidden': 'true' }, icon),
        ),
      ),
      h(
        'section',
        { class: 'fd-list', 'aria-label': 'Tickets' },
        h('div', { class: 'fd-list-head' }, h('h1', { class: 'fd-list-title' }, 'All tickets'), count),
        list,
      ),
      h('div', { class: 'fd-main-wrap' }, main, message),
    ),
  );
  void new SingleTicketApp(root, {
    list,
    count,
    main,
    message,
    ticketIdFromPath: (path) => {
      const match = /\/a\/tickets\/(\d+)\/?$/.exec(path);
      return match ? Number(match[1]) : null;
    },
    row: (t, active) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: ticketPath(t.id), 'data-ticket-id': t.id, class: active ? 'fd-row is-active' : 'fd-row', 'aria-current': active ? 'page' : null },
          h('span', { class: 'fd-row-subject' }, t.subject),
          h(
            'span',
            { class: 'fd-row-meta' },
            h('span', { class: `fd-pill fd-status--${t.status}` }, FRESHDESK_STATUS[t.status]),
            ` #${t.id} · ${t.requesterName} · ${relativeTime(t.updatedAt)}`,
          ),
        ),
      ),
    open: (ticket, ticketUpdated) => new FreshdeskTicketView(ticket, { ticketUpdated }),
    title: (ticket) => `${ticket.subject} : #${ticket.id} – Freshdesk-style Loopdesk demo`,
    text: {
      pick: 'Pick a ticket from the list.',
      notFound: (id) => `Ticket #${id} does not exist.`,
      failed: (id) => `Ticket #${id} could not be loaded.`,
    },
  }).start();
} else {
  console.error(`Loopdesk demo: #app not found (base ${BASE})`);
}
