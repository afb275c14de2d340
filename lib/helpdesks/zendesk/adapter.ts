import type { HelpdeskSelectors } from '../selectors';
import { zendeskSelf } from '../agent-identity';
import { createSelectorAdapter } from '../selector-adapter';
import type { HelpdeskAdapter } from '../types';
import { zendeskSelectors } from './selectors';

/**
 * Zendesk Agent Workspace. The composer is CKEditor 5, which the page bridge drives through its
 * model API; `selectors` is the effective set (the built-in defaults unless the server overrides them).
 * The signed-in agent comes from Zendesk's own `/api/v2/users/me.json` (no DOM hook for it is known).
 */
export function createZendeskAdapter(doc: Document = document, selectors: HelpdeskSelectors = zendeskSelectors): HelpdeskAdapter {
  return createSelectorAdapter('zendesk', doc, selectors, (page) => zendeskSelf(page));
}
