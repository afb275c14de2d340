/**
 * Loopdesk demo helpdesk, Freshdesk style: a ticket list beside one open ticket, switched in the app
 * (pushState) at /demo/freshdesk/a/tickets/:id. Same ticket store and API as the Zendesk-style page.
 */
import './freshdesk.css';
import { BASE } from '../api';
import { h, relativeTime } from '../dom';
import { startSingleTicketPage } from '../single-ticket-app';
import { FRESHDESK_STATUS, FreshdeskTicketView } from './ticket-view';

const ticketPath = (id: number) => `${BASE}/freshdesk/a/tickets/${id}`;

startSingleTicketPage({
  classes: { list: 'fd-list-rows', count: 'fd-list-count', main: 'fd-main', message: 'fd-message' },
  layout: ({ list, count, main, message }) =>
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
  ticketPathPattern: /\/a\/tickets\/(\d+)\/?$/,
  row: {
    href: ticketPath,
    className: 'fd-row',
    content: (t) => [
      h('span', { class: 'fd-row-subject' }, t.subject),
      h(
        'span',
        { class: 'fd-row-meta' },
        h('span', { class: `fd-pill fd-status--${t.status}` }, FRESHDESK_STATUS[t.status]),
        ` #${t.id} · ${t.requesterName} · ${relativeTime(t.updatedAt)}`,
      ),
    ],
  },
  open: (ticket, ticketUpdated) => new FreshdeskTicketView(ticket, { ticketUpdated }),
  title: (ticket) => `${ticket.subject} : #${ticket.id} – Freshdesk-style Loopdesk demo`,
  text: {
    pick: 'Pick a ticket from the list.',
    notFound: (id) => `Ticket #${id} does not exist.`,
    failed: (id) => `Ticket #${id} could not be loaded.`,
  },
});
