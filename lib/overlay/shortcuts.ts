import type { PreferenceChoice } from '../contract';
import type { OverlayController } from './controller';
import { overlayStore } from './store';

/**
 * The overlay's keyboard shortcuts, all on Alt+Shift so they stay clear of the helpdesks' own.
 * `event.code` is used because Alt+Shift changes the typed character on some layouts.
 */
export const SHORTCUTS = {
  Digit1: 'Insert reply A',
  Digit2: 'Insert reply B',
  KeyA: 'A is better',
  KeyB: 'B is better',
  KeyE: 'Tie',
  KeyU: 'Both unusable',
  KeyK: 'Report missing knowledge',
  KeyL: 'Collapse or open Loopdesk',
} as const;

const PREFERENCES: Partial<Record<keyof typeof SHORTCUTS, PreferenceChoice | 'both_unusable'>> = {
  KeyA: 'A_better',
  KeyB: 'B_better',
  KeyE: 'tie',
  KeyU: 'both_unusable',
};

/** Runs the overlay action for a keydown, if it is one of ours; true when it was handled. */
export function handleShortcut(event: KeyboardEvent, controller: OverlayController): boolean {
  if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey || !(event.code in SHORTCUTS)) return false;
  const code = event.code as keyof typeof SHORTCUTS;
  const state = overlayStore.getState();
  if (code === 'KeyL') {
    overlayStore.setState({ collapsed: !state.collapsed });
    return true;
  }
  const ticket = state.activeTicketId ? state.tickets[state.activeTicketId] : undefined;
  if (!ticket) return false;
  if (code === 'Digit1' || code === 'Digit2') {
    const id = ticket.order[Number(code.slice(-1)) - 1];
    if (!id) return false;
    controller.insert(id);
    return true;
  }
  if (code === 'KeyK') {
    if (!ticket.suggestion || !state.annotations.missingKnowledge) return false;
    overlayStore.setState({ collapsed: false, missingFormOpen: true });
    return true;
  }
  const choice = PREFERENCES[code];
  if (!choice || !state.annotations.preference || ticket.status !== 'ready' || ticket.order.length !== 2) return false;
  controller.prefer(choice);
  return true;
}
