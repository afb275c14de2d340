/**
 * Loopdesk demo helpdesk: a single-page stand-in for Zendesk's Agent Workspace, in plain DOM.
 * Its DOM hooks (data-test-id and friends) copy the real ones; see docs/helpdesk-dom.md.
 */
import 'ckeditor5/ckeditor5.css';
import './app.css';
import type { DemoApiTicket, DemoTicketSummary } from '../tickets';
import { DEMO_SIGNED_IN_AGENT } from '../signed-in-agent';
import { ApiError, BASE, getTicket, listTickets, ticketPath } from './api';
import { capitalize, h, relativeTime } from './dom';
import { TicketPane, statusClass } from './pane';

/** Zendesk keeps several tickets mounted; beyond this many, the least recently viewed is closed. */
const MAX_OPEN_TICKETS = 5;

interface OpenTicket {
  pane: TicketPane;
  tab: HTMLDivElement;
  lastActive: number;
}

class Workspace {
  private readonly open = new Map<number, OpenTicket>();
  private readonly navList = h('ul', { class: 'dh-view-list' });
  private readonly viewCount = h('span', { class: 'dh-view-count' });
  private readonly tabs = h('div', { class: 'dh-tabs', role: 'navigation', 'aria-label': 'Open tickets' });
  private readonly main = h('main', { class: 'dh-main' });
  private readonly message = h('div', { class: 'dh-message', hidden: true });
  private summaries: DemoTicketSummary[] = [];
  private activeId: number | null = null;
  private clock = 0;
  private navSeq = 0;

  constructor(root: HTMLElement) {
    root.replaceChildren(
      h(
        'div',
        { class: 'dh-app' },
        h(
          'div',
          { class: 'dh-rail', 'aria-hidden': 'true' },
          h('div', { class: 'dh-logo' }, 'L'),
          h('div', { class: 'dh-rail-item dh-rail-item--active' }, '☰'),
        ),
        h(
          'nav',
          { class: 'dh-views', 'aria-label': 'Ticket views' },
          h('div', { class: 'dh-views-title' }, 'Views'),
          h('div', { class: 'dh-view-name' }, 'All tickets', this.viewCount),
          this.navList,
        ),
        h(
          'div',
          { class: 'dh-workspace' },
          h(
            'header',
            { class: 'dh-header' },
            this.tabs,
            h(
              'div',
              { class: 'dh-header-tools' },
              h(
                'span',
                { class: 'dh-agent', title: `${DEMO_SIGNED_IN_AGENT.name} (${DEMO_SIGNED_IN_AGENT.email})`, 'data-test-id': 'demo-current-agent' },
                DEMO_SIGNED_IN_AGENT.name
                  .split(' ')
                  .map((part) => part[0])
                  .join(''),
              ),
            ),
          ),
          h('div', { class: 'dh-main-wrap' }, this.main, this.message),
        ),
      ),
    );
    root.classList.remove('dh-boot');
    root.removeAttribute('aria-busy');

    // Ordinary bubble-phase handlers, as a third-party app would have.
    this.navList.addEventListener('click', (event) => this.onLinkClick(event));
    this.tabs.addEventListener('click', (event) => this.onTabClick(event));
    this.tabs.addEventListener('keydown', (event) => {
      const tab = (event.target as Element).closest<HTMLElement>('[data-test-id="header-tab"]');
      if (tab && (event.key === 'Enter' || event.key === ' ') && event.target === tab) {
        event.preventDefault();
        this.navigate(Number(tab.dataset.entityId));
      }
    });
    window.addEventListener('popstate', () => void this.route());
  }

  async start(): Promise<void> {
    void this.loadList();
    await this.route();
  }

  private async loadList(): Promise<void> {
    try {
      this.summaries = await listTickets();
    } catch (error) {
      console.error('could not load the ticket list', error);
      this.summaries = [];
    }
    this.renderList();
  }

  private renderList(): void {
    this.viewCount.textContent = String(this.summaries.length);
    this.navList.replaceChildren(
      ...this.summaries.map((ticket) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: ticketPath(ticket.id),
              'data-ticket-id': ticket.id,
              class: ticket.id === this.activeId ? 'dh-view-row is-active' : 'dh-view-row',
            },
            h('span', { class: `${statusClass(ticket.status)} dh-status--short`, title: capitalize(ticket.status) }, ticket.status.charAt(0).toUpperCase()),
            h(
              'span',
              { class: 'dh-view-row-text' },
              h('span', { class: 'dh-view-row-subject' }, ticket.subject),
              h('span', { class: 'dh-view-row-meta' }, `#${ticket.id} · ${ticket.requesterName} · ${relativeTime(ticket.updatedAt)}`),
            ),
          ),
        ),
      ),
    );
  }

  private onLinkClick(event: MouseEvent): void {
    const link = (event.target as Element).closest<HTMLAnchorElement>('a[data-ticket-id]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    this.navigate(Number(link.dataset.ticketId));
  }

  private onTabClick(event: MouseEvent): void {
    const target = event.target as Element;
    const tab = target.closest<HTMLElement>('[data-test-id="header-tab"]');
    if (!tab) return;
    const id = Number(tab.dataset.entityId);
    if (target.closest('[data-test-id="close-button"]')) void this.close(id);
    else this.navigate(id);
  }

  navigate(id: number): void {
    const path = ticketPath(id);
    if (location.pathname !== path) history.pushState({ ticketId: id }, '', path);
    void this.route();
  }

  private async route(): Promise<void> {
    const seq = ++this.navSeq;
    const match = /\/agent\/tickets\/(\d+)\/?$/.exec(location.pathname);
    const id = match ? Number(match[1]) : null;
    if (id === null) {
      this.showMessage('Pick a ticket from the list.');
      return;
    }
    if (!this.open.has(id)) {
      let ticket: DemoApiTicket;
      try {
        ticket = await getTicket(id);
      } catch (error) {
        if (seq !== this.navSeq) return;
        this.showMessage(
          error instanceof ApiError && error.status === 404 ? `Ticket #${id} does not exist.` : `Ticket #${id} could not be loaded.`,
        );
        return;
      }
      // Another navigation started while this one waited: let that one win.
      if (seq !== this.navSeq) return;
      if (!this.open.has(id)) this.openTicket(ticket);
    }
    this.activate(id);
  }

  private openTicket(ticket: DemoApiTicket): void {
    const pane = new TicketPane(ticket, this.main, { ticketUpdated: (updated) => this.ticketUpdated(updated) });
    const tab = h(
      'div',
      { 'data-test-id': 'header-tab', 'data-entity-id': ticket.id, class: 'dh-tab', tabindex: '0', role: 'link' },
      h('span', { class: `dh-status-dot dh-status-dot--${ticket.status}`, 'aria-hidden': 'true' }),
      h(
        'div',
        { class: 'dh-tab-text' },
        h('div', { 'data-test-id': 'header-tab-title', class: 'dh-tab-title' }, ticket.subject),
        h('div', { 'data-test-id': 'header-tab-subtitle', class: 'dh-tab-subtitle' }, `#${ticket.id}`),
      ),
      h('button', { type: 'button', 'data-test-id': 'close-button', class: 'dh-tab-close', 'aria-label': 'Close tab' }, '×'),
    );
    this.tabs.append(tab);
    this.open.set(ticket.id, { pane, tab, lastActive: ++this.clock });
    this.evict(ticket.id);
  }

  /** Closes the least recently viewed tickets beyond MAX_OPEN_TICKETS (never `keep`). */
  private evict(keep: number): void {
    while (this.open.size > MAX_OPEN_TICKETS) {
      let oldest: number | null = null;
      for (const [id, entry] of this.open) {
        if (id === keep) continue;
        if (oldest === null || entry.lastActive < this.open.get(oldest)!.lastActive) oldest = id;
      }
      if (oldest === null) return;
      void this.close(oldest, false);
    }
  }

  private async close(id: number, moveOn = true): Promise<void> {
    const entry = this.open.get(id);
    if (!entry) return;
    this.open.delete(id);
    entry.tab.remove();
    const wasActive = this.activeId === id;
    if (wasActive) this.activeId = null;
    if (wasActive && moveOn) {
      const next = [...this.open.entries()].sort((a, b) => b[1].lastActive - a[1].lastActive)[0];
      if (next) this.navigate(next[0]);
      else this.showMessage('No open tickets. Pick one from the list.');
    }
    await entry.pane.destroy();
  }

  private activate(id: number): void {
    this.message.hidden = true;
    this.activeId = id;
    for (const [openId, entry] of this.open) {
      const active = openId === id;
      entry.pane.setActive(active);
      if (active) {
        entry.tab.setAttribute('aria-current', 'page');
        entry.lastActive = ++this.clock;
        document.title = `${entry.pane.subject} – Ticket #${id} – Loopdesk demo`;
      } else {
        entry.tab.removeAttribute('aria-current');
      }
    }
    for (const link of this.navList.querySelectorAll<HTMLAnchorElement>('a[data-ticket-id]')) {
      link.classList.toggle('is-active', Number(link.dataset.ticketId) === id);
    }
  }

  private showMessage(text: string): void {
    this.activeId = null;
    for (const entry of this.open.values()) {
      entry.pane.setActive(false);
      entry.tab.removeAttribute('aria-current');
    }
    for (const link of this.navList.querySelectorAll('a.is-active')) link.classList.remove('is-active');
    this.message.textContent = text;
    this.message.hidden = false;
    document.title = 'Agent Workspace – Loopdesk demo';
  }

  private ticketUpdated(ticket: DemoApiTicket): void {
    const tab = this.open.get(ticket.id)?.tab;
    const dot = tab?.querySelector('.dh-status-dot');
    if (dot) dot.className = `dh-status-dot dh-status-dot--${ticket.status}`;
    const row = this.summaries.find((summary) => summary.id === ticket.id);
    if (row) {
      row.status = ticket.status;
      row.updatedAt = ticket.updatedAt;
      this.renderList();
    }
  }
}

const root = document.getElementById('app');
if (root) {
  const workspace = new Workspace(root);
  void workspace.start();
} else {
  console.error(`Loopdesk demo: #app not found (base ${BASE})`);
}
