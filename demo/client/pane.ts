/**
 * One ticket pane, as Zendesk's Agent Workspace mounts it: header (subject, status), properties,
 * conversation log and a CKEditor 5 composer with the "Submit as …" button and status menu.
 * Every opened ticket keeps its pane (and its editor) in the DOM; only one is active.
 */
import type { ClassicEditor } from 'ckeditor5';
import type { DemoApiComment, DemoApiTicket, DemoStatus, DemoSubmitStatus } from '../tickets';
import { ApiError, postComment } from './api';
import { createComposer } from './composer';
import { capitalize, formatTime, h, initials } from './dom';
import { editorHtmlToText } from './plain-text';

const SUBMIT_STATUSES: readonly DemoSubmitStatus[] = ['open', 'pending', 'solved'];

/**
 * `?ui=next` renders the ticket pane with hooks renamed, the way a Zendesk release does without
 * notice: it shows how Loopdesk degrades, and how a server-side selector override repairs it.
 */
const NEXT_UI = new URLSearchParams(location.search).get('ui') === 'next';

export interface PaneHost {
  /** Called after a successful submit with the ticket as the server now has it. */
  ticketUpdated(ticket: DemoApiTicket): void;
}

export function renderComment(comment: DemoApiComment): HTMLElement {
  const when = new Date(comment.createdAt);
  const iso = Number.isNaN(when.getTime()) ? comment.createdAt : when.toISOString();
  return h(
    'article',
    { 'data-comment-id': comment.id, class: `dh-event dh-event--${comment.author}` },
    h('div', { class: 'dh-avatar', 'aria-hidden': 'true' }, initials(comment.authorName)),
    h(
      'div',
      { class: 'dh-event-main' },
      h(
        'div',
        { class: 'dh-event-head' },
        h('div', { 'data-test-id': 'omni-log-item-sender', class: 'dh-sender' }, comment.authorName),
        comment.author === 'agent' ? h('span', { class: 'dh-event-kind' }, 'Public reply') : null,
        h('time', { datetime: iso, title: iso }, formatTime(comment.createdAt)),
      ),
      // Plain text only: h() sets textContent, never HTML.
      h('div', { class: 'zd-comment' }, comment.body),
    ),
  );
}

export function statusClass(status: DemoStatus): string {
  return `dh-status dh-status--${status}`;
}

export class TicketPane {
  readonly id: number;
  readonly root: HTMLDivElement;
  readonly ready: Promise<void>;
  private ticket: DemoApiTicket;
  private editor: ClassicEditor | null = null;
  private destroyed = false;
  private submitting = false;
  private readonly log: HTMLDivElement;
  private readonly badge: HTMLDivElement;
  private readonly submitButton: HTMLButtonElement;
  private readonly menuButton: HTMLButtonElement;
  private readonly menu: HTMLUListElement;
  private readonly notice: HTMLDivElement;
  private readonly abort = new AbortController();

  constructor(
    ticket: DemoApiTicket,
    container: HTMLElement,
    private readonly host: PaneHost,
  ) {
    this.id = ticket.id;
    this.ticket = ticket;

    this.badge = h('div', { 'data-cy-test-id': 'status-badge-state', class: statusClass(ticket.status) }, ticket.status);
    this.log = h('div', { 'data-test-id': 'omni-log-container', class: 'dh-log', role: 'log', 'aria-label': 'Conversation' });
    for (const comment of ticket.comments) this.log.append(renderComment(comment));

    const editorHost = h('div', { class: 'dh-editor-host' });
    this.submitButton = h('button', { type: 'button', 'data-test-id': 'submit_button-button', class: 'dh-submit' });
    this.menuButton = h(
      'button',
      {
        type: 'button',
        'data-test-id': 'submit_button-menu-button',
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
        'aria-label': 'Choose a status to submit as',
        class: 'dh-submit-menu-button',
      },
      '▾',
    );
    this.menu = h('ul', { role: 'menu', 'data-garden-id': 'dropdowns.menu', class: 'dh-menu', hidden: true });
    for (const status of SUBMIT_STATUSES) {
      const item = h(
        'li',
        { role: 'menuitem', 'data-garden-id': 'menus.item', 'data-status': status, tabindex: '-1', class: 'dh-menu-item' },
        h('span', { class: `dh-status-dot dh-status-dot--${status}`, 'aria-hidden': 'true' }),
        `Submit as ${capitalize(status)}`,
      );
      this.menu.append(item);
    }
    this.notice = h('div', { class: 'dh-notice', role: 'status', 'aria-live': 'polite' });

    const requester = ticket.requester;
    this.root = h(
      'div',
      NEXT_UI
        ? { class: 'ticket-pane-v2', 'data-test-id': `pane-${ticket.id}`, 'data-ticket-pane-id': ticket.id, 'data-active': 'false' }
        : {
            class: 'ticket-panes-grid-layout',
            'data-test-id': `ticket-${ticket.id}`,
            'data-side-conversations-anchor-id': ticket.id,
            'data-is-active': 'false',
          },
      h(
        'aside',
        { class: 'dh-props', 'aria-label': 'Ticket properties' },
        field(
          'Requester',
          h(
            'div',
            { class: 'dh-requester' },
            h('div', { class: 'dh-avatar dh-avatar--customer', 'aria-hidden': 'true' }, initials(requester.name)),
            h(
              'div',
              { 'data-test-id': 'ticket-system-field-requester-select', class: 'dh-requester-select' },
              h('span', { class: 'dh-requester-name', title: requester.name }, requester.name),
              ' ',
              h('span', { class: 'dh-requester-email', title: requester.email }, requester.email),
            ),
          ),
        ),
        field('Assignee', h('div', { class: 'dh-value' }, 'Demo Agent')),
        field(
          'Tags',
          h(
            'div',
            { 'data-test-id': 'ticket-fields-tags', class: 'dh-tags' },
            ...ticket.tags.map((tag) => h('span', { 'data-test-id': 'ticket-system-field-tags-item-selected', class: 'dh-tag' }, tag)),
          ),
        ),
        field('Priority', h('div', { class: `dh-value dh-priority dh-priority--${ticket.priority}` }, capitalize(ticket.priority))),
        field('Language', h('div', { class: 'dh-value' }, ticket.locale)),
      ),
      h(
        'section',
        { class: 'dh-conversation', 'aria-label': `Ticket #${ticket.id}` },
        h(
          'div',
          { class: 'dh-omni-header' },
          h('input', {
            'data-test-id': 'omni-header-subject',
            class: 'dh-subject',
            value: ticket.subject,
            readonly: true,
            'aria-label': 'Subject',
          }),
          h('div', { class: 'dh-omni-meta' }, this.badge, h('span', { class: 'dh-ticket-number' }, `#${ticket.id}`)),
        ),
        this.log,
        h(
          'div',
          { 'data-test-id': 'editor-view', class: 'dh-editor-view' },
          h('div', { class: 'dh-channel' }, h('span', { class: 'dh-channel-dot', 'aria-hidden': 'true' }), 'Public reply · ', requester.name),
          h('div', { 'data-test-id': 'ticket-rich-text-editor', class: 'dh-rich-text' }, editorHost),
        ),
      ),
      h(
        'footer',
        { class: 'dh-pane-footer' },
        this.notice,
        h('div', { class: 'dh-submit-group' }, this.submitButton, this.menuButton, this.menu),
      ),
    );
    this.refreshStatus();
    this.wireFooter();
    container.append(this.root);
    this.scrollLogToEnd();
    this.ready = this.mountEditor(editorHost);
  }

  get subject(): string {
    return this.ticket.subject;
  }

  get status(): DemoStatus {
    return this.ticket.status;
  }

  setActive(active: boolean): void {
    if (NEXT_UI) this.root.dataset.active = String(active);
    else this.root.dataset.isActive = String(active);
    if (!active) this.closeMenu();
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.abort.abort();
    this.root.remove();
    const editor = this.editor;
    this.editor = null;
    if (editor) await editor.destroy();
  }

  private async mountEditor(editorHost: HTMLElement): Promise<void> {
    try {
      const editor = await createComposer(editorHost, (status) => void this.submit(status ?? this.defaultStatus()));
      if (this.destroyed) {
        await editor.destroy();
        return;
      }
      this.editor = editor;
      // A stale "Write a reply first." or "Submitted as …" goes away once the agent types again.
      editor.model.document.on('change:data', () => {
        if (!this.submitting) this.showNotice('');
      });
    } catch (error) {
      console.error(`ticket ${this.id}: the composer failed to start`, error);
      this.showNotice('The editor failed to load.', true);
    }
  }

  /** What the main button submits as: the ticket's own status, "new" counting as open. */
  private defaultStatus(): DemoSubmitStatus {
    return this.ticket.status === 'new' ? 'open' : this.ticket.status;
  }

  private refreshStatus(): void {
    const status = this.ticket.status;
    this.badge.textContent = status;
    this.badge.className = statusClass(status);
    this.submitButton.textContent = `Submit as ${capitalize(this.defaultStatus())}`;
    this.submitButton.dataset.status = this.defaultStatus();
  }

  private wireFooter(): void {
    const signal = this.abort.signal;
    // Bubble-phase listeners, so an extension's capture-phase listeners run first.
    this.submitButton.addEventListener('click', () => void this.submit(this.defaultStatus()), { signal });
    this.menuButton.addEventListener('click', () => (this.menu.hidden ? this.openMenu() : this.closeMenu()), { signal });
    for (const item of this.menu.querySelectorAll<HTMLLIElement>('li[role="menuitem"]')) {
      item.addEventListener(
        'click',
        () => {
          this.closeMenu();
          void this.submit(item.dataset.status as DemoSubmitStatus);
        },
        { signal },
      );
      item.addEventListener(
        'keydown',
        (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            item.click();
          }
        },
        { signal },
      );
    }
    this.menu.addEventListener('keydown', (event) => this.onMenuKey(event), { signal });
    this.menuButton.addEventListener(
      'keydown',
      (event) => {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          this.openMenu();
        }
      },
      { signal },
    );
    document.addEventListener(
      'click',
      (event) => {
        if (!this.menu.hidden && !this.menu.parentElement?.contains(event.target as Node)) this.closeMenu();
      },
      { signal },
    );
  }

  private menuItems(): HTMLLIElement[] {
    return [...this.menu.querySelectorAll<HTMLLIElement>('li[role="menuitem"]')];
  }

  private openMenu(): void {
    this.menu.hidden = false;
    this.menuButton.setAttribute('aria-expanded', 'true');
    const items = this.menuItems();
    (items.find((item) => item.dataset.status === this.defaultStatus()) ?? items[0])?.focus();
  }

  private closeMenu(): void {
    if (this.menu.hidden) return;
    const hadFocus = this.menu.contains(document.activeElement);
    this.menu.hidden = true;
    this.menuButton.setAttribute('aria-expanded', 'false');
    if (hadFocus) this.menuButton.focus();
  }

  private onMenuKey(event: KeyboardEvent): void {
    const items = this.menuItems();
    const index = items.indexOf(document.activeElement as HTMLLIElement);
    const move = (to: number) => items[(to + items.length) % items.length]?.focus();
    if (event.key === 'Escape') {
      event.preventDefault();
      this.closeMenu();
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      move(index + 1);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      move(index - 1);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      move(event.key === 'Home' ? 0 : items.length - 1);
    } else if (event.key === 'Tab') {
      this.closeMenu();
    }
  }

  private setBusy(busy: boolean): void {
    this.submitting = busy;
    this.submitButton.disabled = busy;
    this.menuButton.disabled = busy;
    this.root.toggleAttribute('aria-busy', busy);
  }

  private showNotice(text: string, isError = false): void {
    this.notice.textContent = text;
    this.notice.classList.toggle('dh-notice--error', isError);
  }

  async submit(status: DemoSubmitStatus): Promise<void> {
    const editor = this.editor;
    if (this.submitting || !editor) return;
    const body = editorHtmlToText(editor.getData());
    if (!body) {
      this.showNotice('Write a reply first.');
      editor.editing.view.focus();
      return;
    }
    this.setBusy(true);
    this.showNotice('Submitting…');
    try {
      const updated = await postComment(this.id, body, status);
      if (this.destroyed) return;
      editor.setData('');
      this.applyUpdate(updated);
      this.showNotice(`Submitted as ${capitalize(updated.status)}.`);
      this.host.ticketUpdated(updated);
    } catch (error) {
      const message = error instanceof ApiError ? error.message : 'network error';
      this.showNotice(`Could not submit: ${message}`, true);
    } finally {
      this.setBusy(false);
    }
  }

  /** Takes the server's copy of the ticket: appends comments not shown yet and updates the status. */
  private applyUpdate(updated: DemoApiTicket): void {
    const shown = new Set(this.ticket.comments.map((comment) => comment.id));
    for (const comment of updated.comments) {
      if (!shown.has(comment.id)) this.log.append(renderComment(comment));
    }
    this.ticket = updated;
    this.refreshStatus();
    this.scrollLogToEnd();
  }

  private scrollLogToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

function field(label: string, value: HTMLElement): HTMLElement {
  return h('div', { class: 'dh-field' }, h('div', { class: 'dh-label' }, label), value);
}
