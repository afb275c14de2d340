import { defineContentScript } from 'wxt/utils/define-content-script';
import { installPageBridge } from '../lib/helpdesks/page-bridge';
import { HELPDESK_MATCHES } from '../lib/helpdesks/matches';

/**
 * Main-world bridge to the helpdesk's reply editor: CKEditor 5 (Zendesk) through its model API, and
 * plain contenteditable editors (Freshdesk's Froala, Help Scout) through paste and editing commands.
 * It must run in the page's world because `element.ckeditorInstance` and the editors' own event
 * handlers live there. The file keeps its first name so built paths stay stable; the logic is in
 * lib/helpdesks/page-bridge.ts.
 */
export default defineContentScript({
  matches: HELPDESK_MATCHES,
  world: 'MAIN',
  runAt: 'document_start',
  main() {
    installPageBridge(document);
  },
});
