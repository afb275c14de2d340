/**
 * A split send button: "Send" plus a menu button that opens "send and set status" items, with the
 * menu keyboard behaviour of an ARIA menu button. Each helpdesk page passes its own hooks, classes
 * and labels. Listeners are bubble-phase, as a helpdesk's own would be, so an extension's
 * capture-phase listeners see each click first.
 */
import type { DemoSubmitStatus } from '../tickets';
import { h, type Attrs } from './dom';

export interface SendControlOptions {
  className: string;
  button: { attrs: Attrs; label: string };
  toggle: { attrs: Attrs; label: string; text: string };
  menu: { attrs: Attrs };
  items: { status: DemoSubmitStatus; label: string; attrs: Attrs }[];
  /** `null`: send keeping the ticket's status (the main button). */
  onSend(status: DemoSubmitStatus | null): void;
  signal: AbortSignal;
}

export class SendControl {
  readonly root: HTMLDivElement;
  readonly button: HTMLButtonElement;
  private readonly toggle: HTMLButtonElement;
  private readonly menu: HTMLUListElement;

  constructor(private readonly opts: SendControlOptions) {
    const { signal } = opts;
    this.button = h('button', { type: 'button', ...opts.button.attrs }, opts.button.label);
    this.toggle = h(
      'button',
      { type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': opts.toggle.label, ...opts.toggle.attrs },
      opts.toggle.text,
    );
    this.menu = h('ul', { role: 'menu', 'aria-label': opts.toggle.label, hidden: true, ...opts.menu.attrs });
    for (const item of opts.items) {
      const li = h('li', { role: 'menuitem', tabindex: '-1', 'data-status': item.status, ...item.attrs }, item.label);
      li.addEventListener(
        'click',
        () => {
          this.close();
          opts.onSend(item.status);
        },
        { signal },
      );
      this.menu.append(li);
    }
    this.root = h('div', { class: opts.className }, this.button, this.toggle, this.menu);

    this.button.addEventListener('click', () => opts.onSend(null), { signal });
    this.toggle.addEventListener('click', () => (this.menu.hidden ? this.open() : this.close()), { signal });
    this.toggle.addEventListener(
      'keydown',
      (event) => {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          this.open();
        }
      },
      { signal },
    );
    this.menu.addEventListener('keydown', (event) => this.onMenuKey(event), { signal });
    document.addEventListener(
      'click',
      (event) => {
        if (!this.menu.hidden && !this.root.contains(event.target as Node)) this.close();
      },
      { signal },
    );
  }

  setBusy(busy: boolean): void {
    this.button.disabled = busy;
    this.toggle.disabled = busy;
    if (busy) this.close();
  }

  close(): void {
    if (this.menu.hidden) return;
    const hadFocus = this.menu.contains(document.activeElement);
    this.menu.hidden = true;
    this.toggle.setAttribute('aria-expanded', 'false');
    if (hadFocus) this.toggle.focus();
  }

  private items(): HTMLLIElement[] {
    return [...this.menu.querySelectorAll<HTMLLIElement>('li[role="menuitem"]')];
  }

  private open(): void {
    this.menu.hidden = false;
    this.toggle.setAttribute('aria-expanded', 'true');
    this.items()[0]?.focus();
  }

  private onMenuKey(event: KeyboardEvent): void {
    const items = this.items();
    const index = items.indexOf(document.activeElement as HTMLLIElement);
    const move = (to: number) => items[(to + items.length) % items.length]?.focus();
    switch (event.key) {
      case 'Escape':
        event.preventDefault();
        this.close();
        break;
      case 'ArrowDown':
        event.preventDefault();
        move(index + 1);
        break;
      case 'ArrowUp':
        event.preventDefault();
        move(index - 1);
        break;
      case 'Home':
      case 'End':
        event.preventDefault();
        move(event.key === 'Home' ? 0 : items.length - 1);
        break;
      case 'Enter':
      case ' ':
        event.preventDefault();
        items[index]?.click();
        break;
      case 'Tab':
        this.close();
        break;
    }
  }
}
