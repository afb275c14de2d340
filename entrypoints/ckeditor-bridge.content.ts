import { defineContentScript } from 'wxt/utils/define-content-script';
import {
  BRIDGE_REQUEST_EVENT,
  BRIDGE_RESPONSE_EVENT,
  BridgeRequest,
  type BridgeResponse,
} from '../lib/contract/extension';
import { plainTextToHtml } from '../lib/helpdesks/text';
import { HELPDESK_MATCHES } from '../lib/helpdesks/matches';

/** The slice of the CKEditor 5 editor API the bridge uses. */
interface CkEditor {
  getData(): string;
  setData(html: string): void;
  model: {
    change(fn: (writer: unknown) => void): void;
    insertContent(content: unknown): void;
    document: { selection: unknown };
  };
  data: { processor: { toView(html: string): unknown }; toModel(view: unknown): unknown };
  editing: { view: { focus(): void } };
}

/**
 * Main-world bridge to the helpdesk's CKEditor 5 composer. `element.ckeditorInstance` exists only in
 * the page's own world, so the isolated content script asks through DOM events dispatched on the
 * editable element itself; this script answers synchronously on the same element. It holds no
 * selectors: the content script's adapter decides which composer is meant.
 */
export default defineContentScript({
  matches: HELPDESK_MATCHES,
  world: 'MAIN',
  runAt: 'document_start',
  main() {
    document.addEventListener(
      BRIDGE_REQUEST_EVENT,
      (event) => {
        const target = event.target as (Element & { ckeditorInstance?: CkEditor }) | null;
        const answer = (response: BridgeResponse) =>
          target?.dispatchEvent(new CustomEvent(BRIDGE_RESPONSE_EVENT, { detail: JSON.stringify(response) }));
        let request: BridgeRequest;
        try {
          request = BridgeRequest.parse(JSON.parse(String((event as CustomEvent).detail)));
        } catch (err) {
          answer({ ok: false, error: `bad bridge request: ${(err as Error).message}` });
          return;
        }
        const editor = target?.ckeditorInstance;
        if (!editor) {
          answer({ ok: false, error: 'no CKEditor instance on this element' });
          return;
        }
        try {
          answer({ ok: true, data: run(editor, request) });
        } catch (err) {
          answer({ ok: false, error: (err as Error).message });
        }
      },
      true,
    );
  },
});

function run(editor: CkEditor, request: BridgeRequest): string {
  switch (request.op) {
    case 'getData':
      return editor.getData();
    case 'setData':
      editor.setData(plainTextToHtml(request.text));
      editor.editing.view.focus();
      return editor.getData();
    case 'insertText': {
      // Through the data pipeline, so paragraphs and line breaks become real model elements and the
      // editor's undo stack and change events see an ordinary insertion at the cursor.
      const fragment = editor.data.toModel(editor.data.processor.toView(plainTextToHtml(request.text)));
      editor.model.insertContent(fragment);
      editor.editing.view.focus();
      return editor.getData();
    }
  }
}
