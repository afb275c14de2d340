import { browser } from 'wxt/browser';
import { options as preactOptions } from 'preact';
import ReactDOM from 'react-dom/client';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { createShadowRootUi } from 'wxt/utils/content-script-ui/shadow-root';
import { Overlay } from '../../components/Overlay';
import { HELPDESK_MATCHES } from '../../lib/helpdesks/matches';
import type { HelpdeskSelectors, SelectorKey } from '../../lib/contract';
import { HELPDESKS, helpdeskForLocation } from '../../lib/helpdesks/registry';
import { askBackground } from '../../lib/messaging';
import { createOverlayController } from '../../lib/overlay/controller';
import { handleShortcut } from '../../lib/overlay/shortcuts';
// Bundled as a string and given to the shadow root directly: WXT's `ui` mode would fetch the CSS
// file from the extension at every ticket open, before the overlay can mount.
import overlayCss from './overlay.css?inline';

/** How often DOM changes may trigger a re-read of the active ticket. */
const REFRESH_THROTTLE_MS = 150;

export default defineContentScript({
  matches: HELPDESK_MATCHES,
  // Early, so that the capture-phase send listeners are in place before the helpdesk's own.
  runAt: 'document_start',
  cssInjectionMode: 'manual',
  async main(ctx) {
    // The manifest's patterns are coarse; the registry decides which helpdesk (if any) this page is.
    const helpdesk = helpdeskForLocation(location);
    if (!helpdesk) return;
    // One selector set for the page's life. The adapter reads it at every query, so the tenant's
    // overrides from the server take effect the moment they are applied into it, without a reload.
    const selectors: HelpdeskSelectors = { ...HELPDESKS[helpdesk].defaultSelectors };
    const overridden = new Set<SelectorKey>();
    const adapter = HELPDESKS[helpdesk].createAdapter(document, selectors);
    const controller = createOverlayController(adapter, browser.runtime.getManifest().version, {
      onSelectorMiss: (key) =>
        void askBackground({ type: 'selector-miss', helpdesk, key, overridden: overridden.has(key) }).catch((err: Error) => {
          console.warn(`[loopdesk] could not report selector_miss: ${err.message}`);
        }),
    });
    askBackground({ type: 'selector-overrides', helpdesk }).then(
      (overrides) => {
        for (const key of Object.keys(overrides) as SelectorKey[]) overridden.add(key);
        Object.assign(selectors, overrides);
        if (overridden.size) controller.refresh();
      },
      () => {}, // the built-in selectors stand
    );

    // Every send path, seen before the helpdesk acts on it (and clears the composer).
    ctx.addEventListener(
      window,
      'click',
      (event) => {
        if (!(event.target instanceof Element)) return;
        const path = adapter.sendPathOfClick(event.target);
        if (path) controller.onSend(path);
      },
      { capture: true },
    );
    ctx.addEventListener(
      document,
      'keydown',
      (event) => {
        if (adapter.isSendShortcut(event)) {
          controller.onSend('shortcut');
          return;
        }
        if (handleShortcut(event, controller)) event.preventDefault();
      },
      { capture: true },
    );
    ctx.addEventListener(
      document,
      'paste',
      (event) => {
        const composer = adapter.composer();
        if (composer && event.target instanceof Node && composer.contains(event.target)) {
          controller.onPaste(event.clipboardData?.getData('text/plain') ?? '');
        }
      },
      { capture: true },
    );

    if (document.readyState === 'loading') {
      await new Promise<void>((resolve) => document.addEventListener('DOMContentLoaded', () => resolve(), { once: true }));
    }

    // One render per frame: a suggestion arrives as several port messages (meta, each candidate,
    // done) a few milliseconds apart, and Preact would otherwise render the panel after each. A
    // hidden tab gets no frames, so there renders go out at once as usual.
    preactOptions.debounceRendering = (render) => (document.hidden ? queueMicrotask(render) : requestAnimationFrame(render));

    const ui = await createShadowRootUi(ctx, {
      name: 'loopdesk-overlay',
      css: overlayCss,
      position: 'inline',
      anchor: 'body',
      append: 'last',
      onMount(container) {
        const root = ReactDOM.createRoot(container);
        root.render(<Overlay controller={controller} />);
        return root;
      },
      onRemove(root) {
        root?.unmount();
      },
    });
    ui.mount();

    // Helpdesks are single-page apps: follow in-app navigation and panes rendering late.
    // The agent's typing changes only the composer; re-reading the ticket for that is wasted work on
    // every keystroke, so mutations all inside the composer found last time are ignored.
    let typingIn: Element | null = null;
    let scheduled: number | undefined;
    const scheduleRefresh = () => {
      if (scheduled) return;
      scheduled = ctx.setTimeout(() => {
        scheduled = undefined;
        controller.refresh();
        typingIn = adapter.composer();
      }, REFRESH_THROTTLE_MS);
    };
    const observer = new MutationObserver((records) => {
      const composer = typingIn;
      if (composer?.isConnected && records.every((r) => composer.contains(r.target))) return;
      scheduleRefresh();
    });
    observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-is-active'] });
    ctx.onInvalidated(() => observer.disconnect());
    ctx.addEventListener(window, 'wxt:locationchange', scheduleRefresh);
    controller.refresh();
    const pageHelpdesk = helpdesk;
    void enrollWhenNeeded();

    /**
     * With an enrollment token from policy and no token yet, the background enrolls this browser
     * for the agent the page shows as signed in. The page is only read when enrollment waits for it;
     * a helpdesk that renders its user menu late gets a few more tries.
     */
    async function enrollWhenNeeded(attempt = 0): Promise<void> {
      try {
        const view = await askBackground({ type: 'enrollment-status' });
        if (view.state !== 'waiting' && view.state !== 'failed') return;
        const identity = await adapter.readAgentIdentity();
        if (!identity) {
          if (attempt < 5) ctx.setTimeout(() => void enrollWhenNeeded(attempt + 1), 2_000 * (attempt + 1));
          return;
        }
        const after = await askBackground({ type: 'agent-identity' as const, helpdesk: pageHelpdesk, identity });
        if (after.state === 'enrolled') controller.refresh();
      } catch (err) {
        console.warn(`[loopdesk] enrollment: ${(err as Error).message}`);
      }
    }
  },
});
