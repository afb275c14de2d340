/**
 * Sending a reply from a contenteditable composer through the demo API, shared by the Freshdesk-
 * and Help Scout-style pages: the draft is read as plain text, posted, and the composer cleared
 * once the server has stored it.
 */
import type { DemoApiTicket, DemoStatus, DemoSubmitStatus } from '../tickets';
import { ApiError, postComment } from './api';
import type { EditableComposer } from './editable-composer';
import type { SendControl } from './send-control';

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
