/**
 * One conversation as Help Scout shows it: header (subject, number, status, tags), the reply editor
 * above the thread with "Send" and "Send and set …", and the thread newest first. Hooks follow
 * lib/helpdesks/helpscout/selectors.ts (most of them unverified guesses in Help Scout's data-cy style).
 */
import type { DemoApiComment, DemoApiTicket, DemoStatus } from '../../tickets';
import { formatTime, h, initials } from '../dom';
import { ReplyTicketView, type ReplyTicketViewHost } from '../reply';

/** Help Scout's status names; the demo store's "solved" is Help Scout's "Closed". */
export const HELPSCOUT_STATUS: Record<DemoStatus, string> = { new: 'Active', open: 'Active', pending: 'Pending', solved: 'Closed' };

function renderThread(comment: DemoApiComment): HTMLElement {
  const fromCustomer = comment.author === 'customer';
  const when = new Date(comment.createdAt);
  const iso = Number.isNaN(when.getTime()) ? comment.createdAt : when.toISOString();
  return h(
    'article',
    {
      'data-cy': 'ThreadItem',
      'data-thread-type': fromCustomer ? 'customer' : 'message',
      'data-comment-id': comment.id,
      class: `hs-thread ${fromCustomer ? 'hs-thread--customer' : 'hs-thread--message'}`,
    },
    h('div', { class: 'hs-avatar', 'aria-hidden': 'true' }, initials(comment.authorName)),
    h(
      'div',
      { class: 'hs-thread-main' },
      h(
        'header',
        { class: 'hs-thread-head' },
        h('span', { 'data-cy': 'ThreadItem.Author', class: 'hs-author' }, comment.authorName),
        h('span', { class: 'hs-thread-kind' }, fromCustomer ? 'wrote' : 'replied'),
        h('time', { datetime: iso, title: iso }, formatTime(comment.createdAt)),
      ),
      // Plain text only: h() sets textContent, never HTML.
      h('div', { 'data-cy': 'ThreadItem.Body', class: 'hs-thread-body' }, comment.body),
    ),
  );
}

export class HelpscoutConversationView extends ReplyTicketView {
  readonly root: HTMLDivElement;
  private readonly threads: HTMLDivElement;
  private readonly status: HTMLSpanElement;

  constructor(ticket: DemoApiTicket, host: ReplyTicketViewHost) {
    super(ticket, host, {
      notice: { class: 'hs-notice' },
      composer: { attrs: { class: 'hs-editor', 'aria-label': 'Reply' }, placeholder: 'Reply…' },
      control: {
        className: 'hs-send-group',
        button: { attrs: { 'data-cy': 'SendButton', class: 'hs-btn hs-btn--primary hs-send' }, label: 'Send' },
        toggle: { attrs: { 'data-cy': 'SendButton.StatusMenu', class: 'hs-btn hs-btn--primary hs-send-toggle' }, label: 'Send and set status', text: '▾' },
        menu: { attrs: { class: 'hs-menu' } },
      },
      item: { attrs: { 'data-cy': 'SendButton.StatusItem', class: 'hs-menu-item' }, label: (status) => `Send and set ${HELPSCOUT_STATUS[status]}` },
      statusLabel: (status) => HELPSCOUT_STATUS[status],
    });
    const { notice, composer, control } = this.reply;

    this.threads = h('div', { 'data-cy': 'ThreadList', class: 'hs-threads', role: 'log', 'aria-label': 'Conversation' });
    // Newest first, Help Scout's default order.
    for (const comment of [...ticket.comments].reverse()) this.threads.append(renderThread(comment));

    this.status = h('span', {});
    const subject = h('textarea', {
      'aria-label': 'Conversation Subject',
      'data-cy': 'EditableTextarea',
      class: 'hs-subject',
      rows: 1,
      readonly: true,
    });
    subject.value = ticket.subject;
    const requester = ticket.requester;

    this.root = h(
      'div',
      { 'data-cy': 'Conversation', class: 'hs-conversation', 'data-conversation-id': ticket.id },
      h(
        'div',
        { class: 'hs-conversation-main' },
        h(
          'header',
          { 'data-cy': 'ConversationHeader', class: 'hs-conv-header' },
          subject,
          h(
            'div',
            { 'data-cy': 'ConversationHeader.Actions', class: 'hs-conv-actions' },
            h('span', { 'data-cy': 'ConversationNumber', class: 'hs-number' }, `#${ticket.id}`),
            this.status,
            h('span', { class: 'hs-assignee' }, 'Assigned to Demo Agent'),
          ),
          h('div', { class: 'hs-tags' }, ...ticket.tags.map((tag) => h('span', { 'data-cy': 'Tag', class: 'hs-tag' }, tag))),
        ),
        h(
          'div',
          { 'data-cy': 'ReplyEditor', class: 'hs-reply' },
          h('div', { class: 'hs-reply-to' }, h('span', { class: 'hs-muted' }, 'To '), requester.email),
          composer.element,
          h('div', { class: 'hs-reply-footer' }, control.root, notice),
        ),
        this.threads,
      ),
      h(
        'aside',
        { class: 'hs-profile', 'aria-label': 'Customer' },
        h('div', { class: 'hs-avatar hs-avatar--large', 'aria-hidden': 'true' }, initials(requester.name)),
        h('div', { 'data-cy': 'CustomerProfile.Name', class: 'hs-profile-name' }, requester.name),
        h('div', { class: 'hs-muted' }, requester.email),
        h('h3', { class: 'hs-profile-title' }, 'Conversation'),
        h('div', { class: 'hs-muted' }, `Language ${ticket.locale} · priority ${ticket.priority}`),
      ),
    );
    this.refreshStatus();
  }

  protected refreshStatus(): void {
    this.status.textContent = HELPSCOUT_STATUS[this.ticket.status];
    this.status.className = `hs-status hs-status--${this.ticket.status}`;
  }

  protected showNewComments(comments: DemoApiComment[]): void {
    for (const comment of comments) this.threads.prepend(renderThread(comment));
  }
}
