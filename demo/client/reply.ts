/**
 * Sending a reply from a contenteditable composer through the demo API, shared by the Freshdesk-
 * and Help Scout-style pages: the draft is read as plain text, posted, and the composer cleared
 * once the server has stored it.
 */
import type { DemoApiComment, DemoApiTicket, DemoStatus, DemoSubmitStatus } from '../tickets';
import { ApiError, postComment } from './api';
import { h, type Attrs } from './dom';
import { EditableComposer, type EditableComposerOptions } from './editable-composer';
import { SendControl, type SendControlOptions } from './send-control';
import type { TicketView } from './single-ticket-app';

/** What the main send button keeps: the ticket's own status, "new" counting as open (as Zendesk does). */
export function keptStatus(status: DemoStatus): DemoSubmitStatus {
  return status === 'new' ? 'open' : status;
}

export interface ReplySenderOptions {
  ticket: () => DemoApiTicket;
  composer: EditableComposer;
  control: SendControl;
  /** Status line next to the send button (an element with role="status"). */
  notice: HTMLElement;
  /** How the page names a status ("Resolved", "Closed" …). */
  statusLabel(status: DemoStatus): string;
  /** Called with the server's copy of the ticket after a successful send. */
  sent(ticket: DemoApiTicket): void;
  /** False once the view is gone: a late answer must not touch it. */
  alive(): boolean;
}

export function createReplySender(opts: ReplySenderOptions): (status: DemoSubmitStatus | null) => Promise<void> {
  let busy = false;
  const notify = (text: string, isError = false) => {
    opts.notice.textContent = text;
    opts.notice.classList.toggle('is-error', isError);
  };
  return async (status) => {
    if (busy) return;
    const body = opts.composer.text();
    if (!body) {
      notify('Write a reply first.');
      opts.composer.focus();
      return;
    }
    busy = true;
    opts.control.setBusy(true);
    notify('Sending…');
    const ticket = opts.ticket();
    try {
      const updated = await postComment(ticket.id, body, status ?? keptStatus(ticket.status));
      if (!opts.alive()) return;
      opts.composer.clear();
      opts.sent(updated);
      notify(`Sent. Status: ${opts.statusLabel(updated.status)}.`);
    } catch (error) {
      if (opts.alive()) notify(`Could not send: ${error instanceof ApiError ? error.message : 'network error'}`, true);
    } finally {
      busy = false;
      opts.control.setBusy(false);
    }
  };
}

export interface ReplyBoxOptions {
  /** Attributes of the status line (class names of the page). */
  notice: Attrs;
  /** The editor, minus the wiring done here. */
  composer: Omit<EditableComposerOptions, 'onSubmitKey' | 'onInput' | 'signal'>;
  /** The split send button, minus its items and wiring. */
  control: Omit<SendControlOptions, 'items' | 'onSend' | 'signal'>;
  /** Each "send and set" item (open, pending, solved): the page's attributes and label. */
  item: { attrs: Attrs; label(status: DemoSubmitStatus): string };
  /** How the page names a status ("Resolved", "Closed" …). */
  statusLabel(status: DemoStatus): string;
}

export interface ReplyBox {
  notice: HTMLElement;
  composer: EditableComposer;
  control: SendControl;
}

export interface ReplyTicketViewHost {
  ticketUpdated(ticket: DemoApiTicket): void;
}

/**
 * A ticket view with a reply box under a contenteditable composer (the Freshdesk- and Help Scout-
 * style pages): the composer, the split send button and the sender wired together, the ticket kept
 * up to date after a send, and everything torn down with the view. Each page renders its own markup.
 */
export abstract class ReplyTicketView implements TicketView {
  abstract readonly root: HTMLElement;
  protected ticket: DemoApiTicket;
  protected readonly abort = new AbortController();
  protected readonly reply: ReplyBox;

  constructor(ticket: DemoApiTicket, host: ReplyTicketViewHost, box: ReplyBoxOptions) {
    this.ticket = ticket;
    const { signal } = this.abort;
    const notice = h('div', { ...box.notice, role: 'status', 'aria-live': 'polite' });
    const composer = new EditableComposer({
      ...box.composer,
      onSubmitKey: () => void send(null),
      onInput: () => (notice.textContent = ''),
      signal,
    });
    const control = new SendControl({
      ...box.control,
      items: (['open', 'pending', 'solved'] as const).map((status) => ({ status, label: box.item.label(status), attrs: box.item.attrs })),
      onSend: (status) => void send(status),
      signal,
    });
    const send = createReplySender({
      ticket: () => this.ticket,
      composer,
      control,
      notice,
      statusLabel: box.statusLabel,
      sent: (updated) => {
        this.applyUpdate(updated);
        host.ticketUpdated(updated);
      },
      alive: () => !signal.aborted,
    });
    this.reply = { notice, composer, control };
  }

  get id(): number {
    return this.ticket.id;
  }

  destroy(): void {
    this.abort.abort();
    this.root.remove();
  }

  /** Shows the ticket's current status. */
  protected abstract refreshStatus(): void;

  /** Adds comments the server has stored since the view was rendered (oldest first), `ticket` being the updated one. */
  protected abstract showNewComments(comments: DemoApiComment[], ticket: DemoApiTicket): void;

  private applyUpdate(updated: DemoApiTicket): void {
    const shown = new Set(this.ticket.comments.map((c) => c.id));
    const added = updated.comments.filter((comment) => !shown.has(comment.id));
    this.ticket = updated;
    this.refreshStatus();
    this.showNewComments(added, updated);
  }
}
