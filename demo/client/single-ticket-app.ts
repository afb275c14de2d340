/**
 * The frame of a helpdesk page that shows one ticket at a time beside a ticket list (the Freshdesk-
 * and Help Scout-style pages): the list, in-app navigation, loading a ticket and swapping its view
 * in. Like those apps, the previous ticket stays on screen until the next one has arrived, so the
 * URL runs ahead of the view for a moment.
 */
import type { DemoApiTicket, DemoTicketSummary } from '../tickets';
import { ApiError, BASE, getTicket, listTickets } from './api';
import { h, type Child } from './dom';
import { Router } from './spa';

export interface TicketView {
  readonly id: number;
  readonly root: HTMLElement;
  destroy(): void;
}

export interface SingleTicketAppOptions {
  list: HTMLElement;
  /** Shows how many tickets the list has. */
  count: HTMLElement;
  main: HTMLElement;
  message: HTMLElement;
  ticketIdFromPath(path: string): number | null;
  row(ticket: DemoTicketSummary, active: boolean): HTMLElement;
  open(ticket: DemoApiTicket, ticketUpdated: (ticket: DemoApiTicket) => void): TicketView;
  title(ticket: DemoApiTicket): string;
  text: { pick: string; notFound(id: number): string; failed(id: number): string };
}

export class SingleTicketApp {
  private readonly router = new Router((path, isCurrent) => this.show(path, isCurrent));
  private summaries: DemoTicketSummary[] = [];
  private view: TicketView | null = null;

  constructor(
    root: HTMLElement,
    private readonly opts: SingleTicketAppOptions,
  ) {
    root.classList.remove('dh-boot');
    root.removeAttribute('aria-busy');
    this.router.interceptLinks(root, 'a[data-ticket-id]');
  }

  async start(): Promise<void> {
    void this.loadList();
    await this.router.route();
  }

  private async loadList(): Promise<void> {
    try {
      this.summaries = await listTickets();
    } catch (error) {
      console.error('could not load the ticket list', error);
    }
    this.renderList();
  }

  private renderList(): void {
    this.opts.count.textContent = String(this.summaries.length);
    this.opts.list.replaceChildren(...this.summaries.map((t) => this.opts.row(t, t.id === this.view?.id)));
  }

  private async show(path: string, isCurrent: () => boolean): Promise<void> {
    const id = this.opts.ticketIdFromPath(path);
    if (id === null) {
      this.showMessage(this.opts.text.pick);
      return;
    }
    if (this.view?.id === id) return;
    let ticket: DemoApiTicket;
    try {
      ticket = await getTicket(id);
    } catch (error) {
      if (isCurrent()) this.showMessage(error instanceof ApiError && error.status === 404 ? this.opts.text.notFound(id) : this.opts.text.failed(id));
      return;
    }
    if (!isCurrent()) return;
    this.view?.destroy();
    this.view = this.opts.open(ticket, (updated) => this.ticketUpdated(updated));
    this.opts.message.hidden = true;
    this.opts.main.replaceChildren(this.view.root);
    document.title = this.opts.title(ticket);
    this.renderList();
  }

  private showMessage(text: string): void {
    this.view?.destroy();
    this.view = null;
    this.opts.message.textContent = text;
    this.opts.message.hidden = false;
    this.renderList();
  }

  private ticketUpdated(ticket: DemoApiTicket): void {
    const row = this.summaries.find((s) => s.id === ticket.id);
    if (!row) return;
    row.status = ticket.status;
    row.updatedAt = ticket.updatedAt;
    this.renderList();
  }
}

export interface SingleTicketPageOptions extends Omit<SingleTicketAppOptions, 'list' | 'count' | 'main' | 'message' | 'ticketIdFromPath' | 'row'> {
  /** Class names of the list, its count, the ticket's place and the message shown instead of a ticket. */
  classes: { list: string; count: string; main: string; message: string };
  /** The page's frame around those four elements. */
  layout(parts: { list: HTMLElement; count: HTMLElement; main: HTMLElement; message: HTMLElement }): HTMLElement;
  /** Matches a ticket's URL path; group 1 is the ticket id. */
  ticketPathPattern: RegExp;
  /** A row of the list: a link to the ticket with the page's class names and content. */
  row: { href(id: number): string; className: string; content(ticket: DemoTicketSummary): Child[] };
}

/** Renders a single-ticket page into #app and starts it. */
export function startSingleTicketPage(page: SingleTicketPageOptions): void {
  const root = document.getElementById('app');
  if (!root) {
    console.error(`Loopdesk demo: #app not found (base ${BASE})`);
    return;
  }
  const { classes, layout, ticketPathPattern, row, ...rest } = page;
  const list = h('ul', { class: classes.list });
  const count = h('span', { class: classes.count });
  const main = h('main', { class: classes.main });
  const message = h('div', { class: classes.message, hidden: true });
  root.replaceChildren(layout({ list, count, main, message }));
  void new SingleTicketApp(root, {
    ...rest,
    list,
    count,
    main,
    message,
    ticketIdFromPath: (path) => {
      const match = ticketPathPattern.exec(path);
      return match ? Number(match[1]) : null;
    },
    row: (t, active) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: row.href(t.id), 'data-ticket-id': t.id, class: active ? `${row.className} is-active` : row.className, 'aria-current': active ? 'page' : null },
          ...row.content(t),
        ),
      ),
  }).start();
}
