/**
 * In-app navigation for the demo's single-page helpdesks: history.pushState and popstate, no page
 * loads, and a stale load (the agent clicked on before the last ticket arrived) never wins.
 */
export class Router {
  private seq = 0;

  /**
   * `show` renders what the current URL names; `isCurrent()` turns false once another navigation
   * has started, so an answer that arrives late is dropped.
   */
  constructor(private readonly show: (pathname: string, isCurrent: () => boolean) => Promise<void>) {
    window.addEventListener('popstate', () => void this.route());
  }

  navigate(path: string): void {
    if (location.pathname !== path) history.pushState(null, '', path);
    void this.route();
  }

  async route(): Promise<void> {
    const seq = ++this.seq;
    await this.show(location.pathname, () => seq === this.seq);
  }

  /** Plain left clicks on matching links inside `container` navigate in the app; modified clicks stay the browser's. */
  interceptLinks(container: HTMLElement, selector = 'a[href]'): void {
    container.addEventListener('click', (event) => {
      const link = (event.target as Element).closest<HTMLAnchorElement>(selector);
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      this.navigate(new URL(link.href).pathname);
    });
  }
}
