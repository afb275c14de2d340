import type { HelpdeskSelectors } from '../selectors';
import { createSelectorAdapter } from '../selector-adapter';
import type { HelpdeskAdapter } from '../types';
import { helpscoutSelectors } from './selectors';

/**
 * Help Scout's conversation view. The reply editor is a plain contenteditable to the page bridge;
 * `selectors` is the effective set (the built-in defaults unless the server overrides them).
 */
export function createHelpscoutAdapter(doc: Document = document, selectors: HelpdeskSelectors = helpscoutSelectors): HelpdeskAdapter {
  return createSelectorAdapter('helpscout', doc, selectors);
}
