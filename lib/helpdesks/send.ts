import type { SendPath } from '../contract';
import type { HelpdeskSelectors } from './selectors';
import { closestAny } from './types';

/** How long after opening the send menu a menu-item click still counts as a send. */
export const STATUS_MENU_WINDOW_MS = 30_000;

/**
 * Classifies clicks on the active ticket's send controls. Menu items are generic components
 * (`role="menuitem"` and the like) that helpdesks also use for macros, views and tags, and they are
 * often rendered in a portal outside the pane; so an item click only counts as a send inside a short
 * window after the send-menu button of the active pane was clicked, and it closes that window.
 */
export function createSendClickClassifier(
  sel: Pick<HelpdeskSelectors, 'sendButton' | 'sendMenuButton' | 'sendMenuItem'>,
  activePane: () => Element | null,
  now: () => number = Date.now,
): (target: Element) => SendPath | null {
  let menuOpenedAt: number | null = null;
  return (target) => {
    const pane = activePane();
    if (!pane) return null;
    const inPane = (element: Element | null) => element !== null && pane.contains(element);
    if (inPane(closestAny(target, sel.sendMenuButton))) {
      menuOpenedAt = now();
      return null;
    }
    if (inPane(closestAny(target, sel.sendButton))) return 'button';
    if (menuOpenedAt !== null && closestAny(target, sel.sendMenuItem) && now() - menuOpenedAt < STATUS_MENU_WINDOW_MS) {
      menuOpenedAt = null;
      return 'status_menu';
    }
    return null;
  };
}

/**
 * Ctrl+Enter (Cmd+Enter on macOS) inside the composer sends in all supported helpdesks. A keydown
 * that is part of an IME composition only confirms the composed text. Runs on every keystroke, so
 * the composer is looked up only for the one key combination that can send.
 */
export function isSendShortcut(event: KeyboardEvent, composer: () => Element | null): boolean {
  if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.isComposing) return false;
  const element = composer();
  return element !== null && event.target instanceof Node && element.contains(event.target);
}
