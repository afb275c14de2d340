import type { HelpdeskSelectors } from '../selectors';
import { createSelectorAdapter } from '../selector-adapter';
import type { HelpdeskAdapter } from '../types';
import { freshdeskSelectors } from './selectors';

/**
 * Freshdesk's agent UI. The reply editor is Froala, a plain contenteditable to the page bridge;
 * `selectors` is the effective set (the built-in defaults unless the server overrides them).
 */
export function createFreshdeskAdapter(doc: Document = document, selectors: HelpdeskSelectors = freshdeskSelectors): HelpdeskAdapter {
  return createSelectorAdapter('freshdesk', doc, selectors);
}
