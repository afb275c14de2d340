/**
 * Bundled into a fixture page by tests/e2e/helpdesk-adapters.spec.ts: the adapters, the registry and
 * both halves of the composer bridge, reachable from page.evaluate as `window.loopdesk`.
 */
import { callBridge } from '../../lib/helpdesks/bridge-client';
import { createFreshdeskAdapter } from '../../lib/helpdesks/freshdesk/adapter';
import { createHelpscoutAdapter } from '../../lib/helpdesks/helpscout/adapter';
import { installPageBridge } from '../../lib/helpdesks/page-bridge';
import { defaultSelectors, HELPDESKS, helpdeskForLocation } from '../../lib/helpdesks/registry';
import type { HelpdeskAdapter } from '../../lib/helpdesks/types';
import { createZendeskAdapter } from '../../lib/helpdesks/zendesk/adapter';

installPageBridge(document);

/** The adapter for the fixture page, as the content script picks it (by location, built-in selectors). */
function adapterForDocument(doc: Document = document): HelpdeskAdapter | null {
  const helpdesk = helpdeskForLocation(doc.location);
  return helpdesk ? HELPDESKS[helpdesk].createAdapter(doc, HELPDESKS[helpdesk].defaultSelectors) : null;
}

const harness = {
  adapterForDocument,
  defaultSelectors,
  helpdeskForLocation,
  createZendeskAdapter,
  createFreshdeskAdapter,
  createHelpscoutAdapter,
  callBridge,
};
export type Harness = typeof harness;

(globalThis as unknown as { loopdesk: Harness }).loopdesk = harness;
