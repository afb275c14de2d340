/**
 * One ticket as Freshdesk's agent UI shows it: action bar with breadcrumb, subject heading, the
 * conversation (oldest first), the Froala-style reply editor pinned under it with "Send" and
 * "Send and set as …", and the properties sidebar with tags and the contact. Class names and hooks
 * follow lib/helpdesks/freshdesk/selectors.ts (some of which are unverified guesses).
 */
import type { DemoApiComment, DemoApiTicket, DemoStatus } from '../../tickets';
import { capitalize, formatTime, h, initials } from '../dom';
import { ReplyTicketView, type ReplyTicketViewHost } from '../reply';

/** Freshdesk's own status names; the demo store's "solved" is Freshdesk's "Resolved". */
export const FRESHDESK_STATUS: Record<DemoStatus, string> = { new: 'Open', open: 'Open', pending: 'Pending', solved: 'Resolved' };

function renderConversation(comment: DemoApiComment, ticket: DemoApiTicket): HTMLElement {
  const fromCustomer = comment.author === 'customer';
  const when = new Date(comment.createdAt);
  const iso = Number.isNaN(when.getTime()) ? comment.createdAt : when.toISOString();
  return h(
    'div',
    {
      'data-test-id': 'conversation-item',
      'data-comment-id': comment.id,
      class: `conversation-item fd-conv ${fromCustomer ? 'fd-conv--incoming' : 'fd-conv--reply'}`,
    },
    h('div', { class: 'fd-avatar', 'aria-hidden': 'true' }, initials(comment.authorName)),
    h(
      'div',
      { class: 'fd-conv-main' },
      h(
        'div',
        { class: 'fd-conv-head' },
        h('span', { 'data-test-id': 'conversation-sender', class: 'fd-sender' }, comment.authorName),
        h('span', { class: 'fd-conv-kind' }, fromCustomer ? 'reported via email' : `replied to ${ticket.requester.name}`),
        h('time', { datetime: iso, title: iso }, formatTime(comment.createdAt)),
      ),
      // Plain text only: h() sets textContent, never HTML.
      h('div', { 'data-test-id': 'conversation-body', class: 'fd-conv-body fr-view' }, comment.body),
    ),
  );
}

export class FreshdeskTicketView extends ReplyTicketView {
  readonly root: HTMLDivElement;
  private readonly conversations: HTMLDivElement;
  private readonly statusValue: HTMLSpanElement;

  constructor(ticket: DemoApiTicket, host: ReplyTicketViewHost) {
    super(ticket, host, {
      notice: { class: 'fd-notice' },
      composer: {
        attrs: { class: 'fr-element fr-view', 'aria-label': 'Reply' },
        placeholder: 'Reply to the customer…',
        handlePaste: true,
      },
      control: {
        className: 'fd-send-group',
        button: { attrs: { 'data-test-id': 'send-button', class: 'fd-btn fd-btn--primary fd-send' }, label: 'Send' },
        toggle: { attrs: { 'data-test-id': 'send-dropdown-trigger', class: 'fd-btn fd-btn--primary fd-send-toggle' }, label: 'Send and set status', text: '▾' },
        menu: { attrs: { class: 'fd-dropdown' } },
      },
      item: { attrs: { 'data-test-id': 'send-dropdown-item', class: 'fd-dropdown-item' }, label: (status) => `Send and set as ${FRESHDESK_STATUS[status]}` },
      statusLabel: (status) => FRESHDESK_STATUS[status],
    });
    const { signal } = this.abort;
    const { notice, composer, control } = this.reply;

    this.conversations = h('div', { 'data-test-id': 'conversation-list', class: 'fd-conversations', role: 'log', 'aria-label': 'Conversation' });
    for (const comment of ticket.comments) this.conversations.append(renderConversation(comment, ticket));

    this.statusValue = h('span', { class: 'fd-prop-value' });
    const replyButton = h('button', { type: 'button', class: 'fd-btn' }, '↩ Reply');
    replyButton.addEventListener('click', () => composer.focus(), { signal });
    const requester = ticket.requester;

    this.root = h(
      'div',
      { class: 'app-main-wrapper', 'data-ticket-id': ticket.id },
      h(
        'header',
        { id: 'mainactionbar', class: 'fd-actionbar' },
        h(
          'nav',
          { 'aria-label': 'Breadcrumb' },
          h(
            'ol',
            { class: 'breadcrumb' },
            h('li', { class: 'breadcrumb__item' }, 'Tickets'),
            h('li', { class: 'breadcrumb__item active', 'aria-current': 'page' }, `#${ticket.id}`),
          ),
        ),
        h(
          'div',
          { class: 'page-actions__left' },
          replyButton,
          h('button', { type: 'button', class: 'fd-btn', disabled: true }, 'Add note'),
          h('button', { type: 'button', class: 'fd-btn', disabled: true }, 'Forward'),
        ),
      ),
      h(
        'div',
        { class: 'fd-ticket-layout' },
        h(
          'div',
          { id: 'ticket-details', class: 'fd-details' },
          h(
            'div',
            { class: 'fd-details-scroll' },
            h(
              'div',
              { class: 'ticket-details-header' },
              h(
                'h2',
                { class: 'sentiment-ticket-heading' },
                ticket.subject,
                h('button', { type: 'button', class: 'fd-icon-btn', 'aria-label': 'Edit subject', disabled: true }, '✎'),
              ),
              h('div', { class: 'fd-subline' }, `Created via email by ${requester.name}`),
            ),
            this.conversations,
          ),
          h(
            'div',
            { 'data-test-id': 'reply-editor', class: 'fd-reply' },
            h('div', { class: 'fd-reply-to' }, h('span', { class: 'fd-muted' }, 'To: '), `${requester.name} <${requester.email}>`),
            h(
              'div',
              { class: 'fr-box fr-basic' },
              h(
                'div',
                { class: 'fr-toolbar', role: 'toolbar', 'aria-label': 'Formatting' },
                ...['B', 'I', 'U', '•', '1.', 'Link'].map((label) =>
                  // Decoration: the demo's composer keeps to plain paragraphs.
                  h('button', { type: 'button', class: 'fr-command', tabindex: '-1', disabled: true, 'aria-hidden': 'true' }, label),
                ),
              ),
              h('div', { class: 'fr-wrapper' }, composer.element),
            ),
            h('div', { class: 'fd-reply-footer' }, notice, control.root),
          ),
        ),
        h(
          'aside',
          { class: 'fd-props', 'aria-label': 'Ticket properties' },
          h(
            'section',
            { class: 'fd-card' },
            h('h3', { class: 'fd-card-title' }, 'Properties'),
            prop('Status', this.statusValue),
            prop('Priority', h('span', { class: `fd-prop-value fd-priority--${ticket.priority}` }, capitalize(ticket.priority))),
            prop(
              'Tags',
              h(
                'div',
                { class: 'ticket-tags' },
                h('ul', {}, ...ticket.tags.map((tag) => h('li', { class: 'fd-tag' }, h('span', { class: 'tag-options' }, tag)))),
              ),
            ),
          ),
          h(
            'section',
            { class: 'fd-card requester-info' },
            h('h3', { class: 'fd-card-title' }, 'Contact details'),
            h('div', { class: 'fd-contact' }, h('div', { class: 'fd-avatar', 'aria-hidden': 'true' }, initials(requester.name)),
              h('div', {}, h('div', { 'data-test-id': 'requester-info-name', class: 'requester-name' }, requester.name), h('div', { class: 'fd-muted' }, requester.email))),
          ),
        ),
      ),
    );
    this.refreshStatus();
  }

  protected refreshStatus(): void {
    this.statusValue.textContent = FRESHDESK_STATUS[this.ticket.status];
    this.statusValue.className = `fd-prop-value fd-status fd-status--${this.ticket.status}`;
  }

  protected showNewComments(comments: DemoApiComment[], ticket: DemoApiTicket): void {
    for (const comment of comments) this.conversations.append(renderConversation(comment, ticket));
    this.conversations.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }
}

function prop(label: string, value: HTMLElement): HTMLElement {
  return h('div', { class: 'fd-prop' }, h('div', { class: 'fd-prop-label' }, label), value);
}
